package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/dataset"
	"github.com/advmlgo/advml/pkg/onnxmodel"
)

func TestFinetuneBadFlagsNameTheValue(t *testing.T) {
	// -h prints the flags and is no error.
	var help bytes.Buffer
	if err := finetuneCommand([]string{"-h"}, &bytes.Buffer{}, &help); err != nil || !strings.Contains(help.String(), "-test-images") {
		t.Errorf("advml finetune -h: %v, printed %q", err, help.String())
	}
	model := []string{"-model", "m.onnx"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", "x.onnx"}, "-model is missing"},
		{model, "-out is missing"},
		{append(model, "-out", "m.onnx"), "-out m.onnx is the -model file"},
		{append(model, "-out", "x.onnx", "-eps", "0"), "-eps 0: give a budget in (0, 1]"},
		{append(model, "-out", "x.onnx", "-epochs", "0"), "-epochs 0"},
		{append(model, "-out", "x.onnx", "-n-test", "0"), "-n-test 0"},
		{append(model, "-out", "x.onnx", "-mode", "ibp"), `-mode "ibp": use pgd, trades or fast-fgsm`},
		{append(model, "-out", "x.onnx", "-data", "cifar10"), `"cifar10" is not known`},
		{append(model, "-out", "x.onnx", "extra"), `unexpected argument "extra"`},
		{append(model, "-out", "x.onnx", "-n-val", "-1"), "-n-val -1"},
		{append(model, "-out", "x.onnx", "-n-val", "10"), "-n-val 10 without images of your own"},
		{append(model, "-out", "x.onnx", "-images", "x.npy"), "-images x.npy has no -labels"},
		{append(model, "-out", "x.onnx", "-test-labels", "y.npy"), "-test-labels y.npy has no -test-images"},
		{append(model, "-out", "x.onnx", "-images", "x.npy", "-labels", "y.npy"), "no test images: give -test-images"},
		{append(model, "-out", "x.onnx", "-test-folder", "d"), "test images without training images"},
		{append(model, "-out", "x.onnx", "-data", "fashion", "-folder", "d", "-test-folder", "t"), "-data fashion and images of your own"},
		{append(model, "-out", "x.onnx", "-folder", "d", "-images", "x.npy", "-labels", "y.npy"), "give one source of images"},
		{append(append([]string{}, shipped...), "-out", "x.onnx", "-folder", "missing", "-test-folder", "missing"), "missing"},
	} {
		err := finetuneCommand(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line with %q", tc.args, err, tc.want)
		}
	}
}

// advml finetune on the shipped PyTorch model: one epoch against PGD on a
// few hundred digits raises its PGD-40 accuracy, and the file it writes
// loads back with the fine-tuned predictions.
func TestFinetuneTheShippedModel(t *testing.T) {
	testutil.Slow(t)
	dir := t.TempDir()
	out, check := filepath.Join(dir, "tuned.onnx"), filepath.Join(dir, "check.json")
	var stdout, stderr bytes.Buffer
	args := append(append([]string{}, shipped...), "-epochs", "1", "-n-train", "400", "-n-test", "100", "-out", out, "-check", check, "-quiet")
	if err := finetuneCommand(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var s FinetuneSummary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("the JSON line %q: %v", stdout.String(), err)
	}
	if !s.WrittenAgrees || !(s.RobustAfter > s.RobustBefore) || s.TrainImages != 400 || s.TestImages != 100 {
		t.Errorf("summary %+v: want the written file to agree and PGD-40 accuracy to rise", s)
	}
	var c Check
	raw, err := os.ReadFile(check)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &c); err != nil || len(c.Logits) != 100 || len(c.Images) != 100*784 || c.Layout != "NCHW" || c.Model != out {
		t.Errorf("check file: %d logits, %d values, layout %s, model %s (%v)", len(c.Logits), len(c.Images), c.Layout, c.Model, err)
	}
}

// advml finetune on images of the user's own, of another size and class
// count than MNIST's: a fresh colour network (32×32 RGB, 5 classes),
// exported to ONNX, fine-tuned on synthetic colour images written as .npy
// files, a tenth of them held out for validation. It learns them (its
// clean and robust accuracy rise from chance), and the file it writes loads
// back with the fine-tuned predictions.
func TestFinetuneOnTheUsersFiles(t *testing.T) {
	testutil.Slow(t)
	dir := t.TempDir()
	write := func(name string, s *dataset.Set) (images, labels string) {
		images, labels = filepath.Join(dir, name+"-x.npy"), filepath.Join(dir, name+"-y.npy")
		if err := dataset.WriteNPY(s, images, labels); err != nil {
			t.Fatal(err)
		}
		return images, labels
	}
	trainX, trainY := write("train", testutil.Colour(1000, 1))
	testX, testY := write("test", testutil.Colour(100, 2))
	fresh, err := cnn.New(testutil.XLA(t), cnn.Config{Filters: 8, Kernel: 3, Pool: 2, Input: testutil.ColourGeometry}, 1)
	if err != nil {
		t.Fatal(err)
	}
	model, out := filepath.Join(dir, "colour.onnx"), filepath.Join(dir, "tuned.onnx")
	if err := onnxmodel.SaveCNN(fresh, model); err != nil {
		t.Fatal(err)
	}
	args := []string{"-model", model, "-images", trainX, "-labels", trainY, "-test-images", testX, "-test-labels", testY,
		"-eps", "0.03", "-epochs", "2", "-out", out, "-quiet"}
	var stdout, stderr bytes.Buffer
	if err := finetuneCommand(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var s FinetuneSummary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("the JSON line %q: %v", stdout.String(), err)
	}
	if s.TrainImages != 900 || s.ValImages != 100 || s.TestImages != 100 || s.Data != "train-x.npy" {
		t.Errorf("summary %+v: want 900 training, 100 validation and 100 test images from train-x.npy", s)
	}
	t.Logf("summary %+v", s)
	if !s.WrittenAgrees || !(s.CleanAfter > 0.8 && s.CleanBefore < 0.5) || !(s.RobustAfter > s.RobustBefore+0.3) {
		t.Errorf("summary %+v: want the written file to agree, the clean accuracy to rise above 80%% and the robust one by 30 points", s)
	}
}
