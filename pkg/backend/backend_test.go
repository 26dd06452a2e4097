package backend_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/pkg/backend"
)

func TestDefaultIsXLAOnCPU(t *testing.T) {
	t.Setenv(backend.EnvConfig, "")
	b, err := backend.New()
	if err != nil {
		t.Fatalf("the default engine must be XLA on the CPU, with the plugin from `make plugin`: %v", err)
	}
	if got := backend.Label(b); got != "xla:cpu" {
		t.Fatalf("Label = %q, want xla:cpu", got)
	}
	b2, err := backend.NewWithConfig("xla:cpu")
	if err != nil || b2 != b {
		t.Fatalf("\"\" and \"xla:cpu\" should share one engine: %v %v", b2, err)
	}
	// The engine was made with the flags that make training repeatable
	// across CPUs (or with the user's own values of them).
	for _, flag := range backend.RepeatableFlags {
		name, _, _ := strings.Cut(flag, "=")
		if !strings.Contains(os.Getenv(backend.EnvXLAFlags), name+"=") {
			t.Errorf("XLA_FLAGS = %q lacks %s", os.Getenv(backend.EnvXLAFlags), name)
		}
	}
}

func TestGoEngineOnlyWhenAsked(t *testing.T) {
	b, err := backend.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	if got := backend.Label(b); got != "go" {
		t.Fatalf("Label = %q, want go", got)
	}
}

func TestMissingPluginSaysHowToFix(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(backend.EnvPluginPath, t.TempDir())
	_, err := backend.FindPlugin("cpu")
	var notFound *backend.PluginNotFoundError
	if !errors.As(err, &notFound) {
		t.Fatalf("FindPlugin in an empty folder: got %v, want a *PluginNotFoundError", err)
	}
	for _, want := range []string{"pjrt_c_api_cpu_plugin.so", "make plugin", "GOMLX_BACKEND=go", backend.EnvPluginPath} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error should be one line: %q", err)
	}
	// The same through New, for the default configuration.
	if _, err := backend.NewWithConfig("xla:cpu,noshared_buffers"); !errors.As(err, &notFound) {
		t.Fatalf("NewWithConfig without a plugin: got %v, want a *PluginNotFoundError", err)
	}
}

func TestGPUAskedForAndAbsent(t *testing.T) {
	if backend.HasNVIDIAGPU() {
		t.Skip("this machine has an NVIDIA GPU")
	}
	_, err := backend.NewWithConfig("xla:cuda")
	if !errors.Is(err, backend.ErrNoGPU) {
		t.Fatalf("xla:cuda without a GPU: got %v, want ErrNoGPU", err)
	}
	if !strings.Contains(err.Error(), "unset GOMLX_BACKEND") {
		t.Errorf("error %q should say how to run on the CPU", err)
	}
}

func TestBadConfigurations(t *testing.T) {
	for _, config := range []string{"xla:/nonexistent/pjrt_c_api_cpu_plugin.so", "nosuchengine"} {
		if _, err := backend.NewWithConfig(config); err == nil {
			t.Errorf("NewWithConfig(%q) succeeded, want an error", config)
		} else if !strings.Contains(err.Error(), strings.TrimPrefix(config, "xla:")) {
			t.Errorf("NewWithConfig(%q): error %q does not name the configuration", config, err)
		}
	}
}

// convPoolDenseGrad is the model's kind of graph: a convolution (32
// filters, enough for XLA to hand it to YNNPACK, or oneDNN), a max-pool, a
// dense layer, and the gradient of their sum of squares with respect to the
// input and both weights.
func convPoolDenseGrad(x, kernel, dense *Node) []*Node {
	y := MaxPool(Convolve(x, kernel).NoPadding().Done()).Window(3).Done()
	z := Dot(Reshape(y, x.Shape().Dimensions[0], -1), dense).Product()
	loss := ReduceAllSum(Mul(z, z))
	return append([]*Node{z}, Gradient(loss, x, kernel, dense)...)
}

// TestXLAConvMaxPoolGradients checks the XLA plugin's convolution, max-pool
// and dense layer and their gradients against GoMLX's pure-Go engine.
func TestXLAConvMaxPoolGradients(t *testing.T) {
	xla, err := backend.NewWithConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstGoEngine(t, xla)
}

// TestOneDNNRouting checks the same graph on the engine with
// backend.OptionOneDNN, in a process of its own (XLA reads its flags once
// per process), and that this process, whose plugin is loaded with the
// default routing, refuses the other one with an error that says why.
func TestOneDNNRouting(t *testing.T) {
	const child = "ADVML_TEST_ONEDNN_CHILD"
	if os.Getenv(child) == "1" {
		b, err := backend.New()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(os.Getenv(backend.EnvXLAFlags), backend.OneDNNFlags[0]) {
			t.Errorf("XLA_FLAGS = %q lacks %s", os.Getenv(backend.EnvXLAFlags), backend.OneDNNFlags[0])
		}
		if got := backend.Label(b); got != "xla:cpu,onednn" {
			t.Errorf("Label = %q, want xla:cpu,onednn", got)
		}
		checkAgainstGoEngine(t, b)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestOneDNNRouting$", "-test.v")
	cmd.Env = append(os.Environ(), child+"=1", backend.EnvConfig+"=xla:cpu,"+backend.OptionOneDNN)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "--- PASS: TestOneDNNRouting") {
		t.Errorf("with %s=xla:cpu,%s: %v\n%s", backend.EnvConfig, backend.OptionOneDNN, err, out)
	}
	if _, err := backend.NewWithConfig("xla:cpu"); err != nil {
		t.Fatal(err)
	}
	_, err := backend.NewWithConfig("xla:cpu," + backend.OptionOneDNN)
	if err == nil || !strings.Contains(err.Error(), "once per process") || strings.Contains(err.Error(), "\n") {
		t.Errorf("asking for oneDNN after the default routing loaded: error %v, want one line that says XLA reads its flags once per process", err)
	}
	if _, err := backend.NewWithConfig("xla:cuda," + backend.OptionOneDNN); err == nil || !strings.Contains(err.Error(), "xla:cpu,onednn") {
		t.Errorf("oneDNN on the GPU engine: error %v, want one that points at xla:cpu,onednn", err)
	}
}

// checkAgainstGoEngine runs convPoolDenseGrad on b and on GoMLX's pure-Go
// engine, and fails where they differ by more than 1e-4 of the largest value.
func checkAgainstGoEngine(t *testing.T, b compute.Backend) {
	t.Helper()
	goEngine, err := backend.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return v
	}
	const batch, filters, side = 8, 32, 8 // side: 28-3+1 = 26 pooled by 3.
	x := random(batch * 28 * 28 * 1)
	kernel := random(3 * 3 * 1 * filters)
	dense := random(side * side * filters * 10)
	run := func(b compute.Backend) [][]float32 {
		outs := MustNewExec(b, convPoolDenseGrad).MustCall(
			tensors.FromFlatDataAndDimensions(x, batch, 28, 28, 1),
			tensors.FromFlatDataAndDimensions(kernel, 3, 3, 1, filters),
			tensors.FromFlatDataAndDimensions(dense, side*side*filters, 10))
		res := make([][]float32, len(outs))
		for i, o := range outs {
			if o.DType() != dtypes.Float32 {
				t.Fatalf("output %d has dtype %s", i, o.DType())
			}
			res[i] = tensors.MustCopyFlatData[float32](o)
		}
		return res
	}
	got, want := run(b), run(goEngine)
	for i, name := range []string{"dense(maxpool(conv))", "d/dx", "d/dkernel", "d/ddense"} {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s: %d values on XLA, %d on Go", name, len(got[i]), len(want[i]))
		}
		var maxDiff, maxAbs float64
		for j := range got[i] {
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[i][j]-want[i][j])))
			maxAbs = math.Max(maxAbs, math.Abs(float64(want[i][j])))
		}
		if maxAbs == 0 || maxDiff > 1e-4*maxAbs {
			t.Errorf("%s: XLA and Go differ by %g (largest value %g)", name, maxDiff, maxAbs)
		}
	}
}

func TestCPUNamesCoresAndFlags(t *testing.T) {
	desc := backend.CPU()
	if !strings.Contains(desc, strconv.Itoa(runtime.NumCPU())+" cores") {
		t.Errorf("CPU() = %q: no core count", desc)
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil && strings.Contains(string(data), " avx2") && !strings.Contains(desc, "avx2") {
		t.Errorf("CPU() = %q: the CPU has AVX2 but the description does not say so", desc)
	}
}
