package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
)

func TestFinetuneBadFlagsNameTheValue(t *testing.T) {
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
