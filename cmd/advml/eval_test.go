package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/dataset"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/report"
)

// shipped is the PyTorch model of models/ and its normalisation.
var shipped = []string{"-model", filepath.Join("..", "..", "models", "mnist_torch.onnx"), "-mean", "0.1307", "-std", "0.3081"}

func TestBadFlagsNameTheValue(t *testing.T) {
	npy := []string{"-images", "x.npy", "-labels", "y.npy"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-images", "x.npy"}, "-model is missing"},
		{[]string{"-model", "m.onnx", "-eps", "0.1"}, "no images: give -images x.npy -labels y.npy, -folder dir, or -data mnist"},
		{[]string{"-model", "m.onnx", "-images", "x.npy", "-eps", "0.1"}, "-images x.npy has no -labels"},
		{[]string{"-model", "m.onnx", "-labels", "y.npy", "-eps", "0.1"}, "-labels y.npy has no -images"},
		{append([]string{"-model", "m.onnx", "-folder", "d", "-eps", "0.1"}, npy...), "give one source of images"},
		{[]string{"-model", "m.onnx", "-data", "cifar10", "-eps", "0.1"}, `-data: mnist: data set "cifar10" is not known: use mnist or fashion`},
		{append([]string{"-model", "m.onnx", "-n", "-3", "-eps", "0.1"}, npy...), "-n -3: give a number of images"},
		{append([]string{"-model", "m.onnx", "-part", "0", "-eps", "0.1"}, npy...), "-part 0: give at least 1 image per part"},
		{append([]string{"-model", "m.onnx", "-layout", "chw", "-eps", "0.1"}, npy...), `-layout: layout "chw": use auto, nchw or nhwc`},
		{append([]string{"-model", "m.onnx", "-data-layout", "x", "-eps", "0.1"}, npy...), `-data-layout: layout "x"`},
		{append([]string{"-model", "m.onnx", "-mean", "0.1,a", "-eps", "0.1"}, npy...), `-mean 0.1,a: "a" is not a number`},
		{append([]string{"-model", "m.onnx", "-std", "NaN", "-eps", "0.1"}, npy...), `-std NaN: "NaN" is not a number`},
		{append([]string{"-model", "m.onnx", "-norm", "l1", "-eps", "0.1"}, npy...), `-norm "l1": use linf or l2`},
		{append([]string{"-model", "m.onnx"}, npy...), "-eps is missing"},
		{append([]string{"-model", "m.onnx", "-eps", "0.1,-2"}, npy...), "-eps 0.1,-2: -2 is not a budget"},
		{append([]string{"-model", "m.onnx", "-eps", "0.1", "-attacks", "autoattack,deepfool"}, npy...), `unknown attack "deepfool"`},
		{append([]string{"-model", "m.onnx", "-eps", "1", "-norm", "l2", "-attacks", "fgsm"}, npy...), "-attacks fgsm is an L∞ attack"},
		{append([]string{"-model", "m.onnx", "-eps", "0.1", "extra"}, npy...), `unexpected argument "extra"`},
		{append([]string{"-model", "m.onnx", "-eps", "1", "-norm", "l2", "-attacks", "pgd", "-certify"}, npy...), "-certify with -norm l2: the bounds certify L∞ balls"},
		{append([]string{"-model", "missing.onnx", "-eps", "0.1"}, npy...), "onnxmodel: open missing.onnx: no such file"},
		{append(append([]string{}, shipped...), "-eps", "0.1", "-images", "x.npy", "-labels", "y.npy"), "dataset: open x.npy: no such file"},
		{append(append([]string{}, shipped...), "-eps", "0.1", "-folder", "."), "is a file beside the class folders"},
	} {
		var out, errs bytes.Buffer
		err := evalCommand(c.args, &out, &errs)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("advml eval %s: error %v, want one line with %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// advml eval on the shipped PyTorch model and MNIST test digits written as
// .npy prints the table and the JSON line, and writes the report: its
// clean accuracy is the model's own on those digits.
func TestEvalOnTheShippedModel(t *testing.T) {
	testutil.Slow(t)
	test := testutil.MNIST(t).Test
	const n = 30
	set := &dataset.Set{Images: test.Images[:n*mnist.Pixels], Labels: test.Labels[:n], Geometry: mnist.Geometry}
	dir := t.TempDir()
	x, y, out := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), filepath.Join(dir, "report")
	if err := dataset.WriteNPY(set, x, y); err != nil {
		t.Fatal(err)
	}
	s, stdout, stderr := runEval(t, append(append([]string{}, shipped...), "-images", x, "-labels", y, "-eps", "0.05,0.2", "-attacks", "apgd-ce,pgd", "-part", "12", "-out", out)...)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if !strings.Contains(stdout.String(), "worst case over the attacks") || !strings.Contains(stderr.String(), fmt.Sprintf("%d/%d", n, n)) {
		t.Errorf("no table or no progress:\n%s\n%s", stdout.String(), stderr.String())
	}
	m, err := onnxmodel.Load(testutil.XLA(t), shipped[1], onnxmodel.Options{Mean: []float32{0.1307}, Std: []float32{0.3081}})
	if err != nil {
		t.Fatal(err)
	}
	classes, _, err := classifier.Classify(m, set.Images)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, c := range classes {
		if c == set.Labels[i] {
			right++
		}
	}
	accuracy := float64(right) / n
	if s.Images != n || s.CleanAccuracy != float64(int64(accuracy*1e4+0.5))/1e4 || !s.SanityPassed || len(s.Attacks) != 2 ||
		!(s.RobustAccuracy[1] <= s.RobustAccuracy[0] && s.RobustAccuracy[0] <= s.CleanAccuracy) {
		t.Errorf("summary %+v; the model's own accuracy %g", s, accuracy)
	}
	saved, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil || strings.TrimSpace(string(saved)) != lines[len(lines)-1] {
		t.Errorf("summary.json %q (%v) is not the printed line", saved, err)
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !bytes.Contains(page, []byte(`id="per-class"`)) {
		t.Errorf("report.html: %v", err)
	}
}

func TestExport(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", "x.onnx"}, "-checkpoint is missing"},
		{[]string{"-checkpoint", "c"}, "-out is missing"},
		{[]string{"-checkpoint", "c", "-out", "x.onnx", "more"}, `unexpected argument "more"`},
		{[]string{"-checkpoint", filepath.Join(t.TempDir(), "none"), "-out", "x.onnx"}, "none"},
	} {
		if err := exportCommand(c.args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("advml export %s: error %v, want one line with %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	out := filepath.Join(t.TempDir(), "robust.onnx")
	if err := exportCommand([]string{"-checkpoint", filepath.Join("..", "..", "checkpoints", "robust"), "-out", out}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	m, err := onnxmodel.Load(testutil.XLA(t), out, onnxmodel.Options{})
	if err != nil || m.Geometry() != mnist.Geometry {
		t.Fatalf("the written file: %v", err)
	}
}

// advml eval -certify on the shipped IBP-trained network, written to ONNX:
// the bounds prove most digits robust at ε = 0.3 before any attack, the
// summary says how many, and no image they prove is fooled.
func TestEvalCertifies(t *testing.T) {
	testutil.Slow(t)
	native, err := cnn.Load(testutil.XLA(t), filepath.Join("..", "..", "checkpoints", "certified"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "certified.onnx")
	if err := onnxmodel.SaveCNN(native, path); err != nil {
		t.Fatal(err)
	}
	s, stdout, _ := runEval(t, "-model", path, "-data", "mnist", "-n", "20", "-eps", "0.3", "-attacks", "apgd-ce", "-certify", "-quiet")
	if len(s.CertifiedAccuracy) != 1 || !(s.CertifiedAccuracy[0] >= 0.5) || s.CertifiedAccuracy[0] > s.RobustAccuracy[0] ||
		!strings.Contains(stdout.String(), "certified by bounds") {
		t.Errorf("certified %v, robust %v; want most of the 20 digits certified, none of them fooled:\n%s", s.CertifiedAccuracy, s.RobustAccuracy, stdout.String())
	}
	t.Logf("certified %v, robust %v", s.CertifiedAccuracy, s.RobustAccuracy)
}

// runEval runs advml eval with args and returns the summary its last line
// holds, and what it printed.
func runEval(t *testing.T, args ...string) (report.Summary, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := evalCommand(args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var s report.Summary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return s, &stdout, &stderr
}
