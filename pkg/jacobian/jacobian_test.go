package jacobian_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/jacobian"
	"github.com/advmlgo/advml/pkg/mnist"
)

func TestShapeAndSlices(t *testing.T) {
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	j, err := jacobian.Compute(m, test.Images[:3*784], jacobian.Probabilities)
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Shape(); len(got) != 5 || got[0] != 3 || got[1] != 10 || got[2] != 28 || got[3] != 28 || got[4] != 1 {
		t.Fatalf("Shape = %v, want [3 10 28 28 1]", got)
	}
	if len(j.Values) != 3*10*784 {
		t.Fatalf("%d values, want %d", len(j.Values), 3*10*784)
	}
	// The softmax sums to one, so its derivatives sum to zero over classes.
	var maxSum, maxAbs float64
	for i := range 3 {
		for p := range 784 {
			sum := 0.0
			for k := range 10 {
				v := float64(j.Slice(i, k)[p])
				sum += v
				maxAbs = math.Max(maxAbs, math.Abs(v))
			}
			maxSum = math.Max(maxSum, math.Abs(sum))
		}
	}
	if maxAbs == 0 || maxSum > 1e-3*maxAbs {
		t.Errorf("derivatives of the probabilities sum to up to %g over classes (largest derivative %g)", maxSum, maxAbs)
	}
	targets := []int{3, 0, 9}
	slices, err := j.Targets(targets)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range targets {
		for p := range 784 {
			if slices[i*784+p] != j.Slice(i, tc)[p] {
				t.Fatalf("Targets disagrees with Slice at image %d pixel %d", i, p)
			}
		}
	}
	if _, err := j.Targets([]int{3, 0, 10}); err == nil || !strings.Contains(err.Error(), "jacobian: target class 10 of image 2 is not a class: use 0 to 9") {
		t.Errorf("target 10: got %v, want an error naming it", err)
	}
	if _, err := j.Targets([]int{3}); err == nil {
		t.Error("one target for three images: no error")
	}
	// Pixels outside [0, 1] are named, as every entry point names them.
	scaled := make([]float32, 784)
	for p, v := range test.Images[:784] {
		scaled[p] = 255 * v
	}
	if _, err := jacobian.Compute(m, scaled, jacobian.Probabilities); err == nil || !strings.Contains(err.Error(), "jacobian: ") || !strings.Contains(err.Error(), "divide them by 255") {
		t.Errorf("an image in 0..255: %v, want a one-line error naming the pixel", err)
	}
}

func TestLogitsJacobianIsTheLinearPath(t *testing.T) {
	// The logits' Jacobian and the probabilities' one are tied by the
	// softmax's derivative: dp_k = p_k (dz_k - sum_j p_j dz_j).
	m := testutil.Trained(t)
	image := testutil.MNIST(t).Test.Image(1)
	jz, err := jacobian.Compute(m, image, jacobian.Logits)
	if err != nil {
		t.Fatal(err)
	}
	jp, err := jacobian.Compute(m, image, jacobian.Probabilities)
	if err != nil {
		t.Fatal(err)
	}
	probs, _ := m.Predict(image)
	p := probs[0]
	var maxDiff, maxAbs float64
	for px := range 784 {
		mean := 0.0
		for j := range 10 {
			mean += float64(p[j]) * float64(jz.Slice(0, j)[px])
		}
		for k := range 10 {
			want := float64(p[k]) * (float64(jz.Slice(0, k)[px]) - mean)
			got := float64(jp.Slice(0, k)[px])
			maxDiff = math.Max(maxDiff, math.Abs(got-want))
			maxAbs = math.Max(maxAbs, math.Abs(want))
		}
	}
	if maxAbs == 0 || maxDiff > 1e-3*maxAbs {
		t.Errorf("probabilities' Jacobian differs from the chain rule on the logits' by %g (largest %g)", maxDiff, maxAbs)
	}
}

// TestAgainstFiniteDifferences checks the Jacobian, in float64, against
// central finite differences of the model's probabilities. A little noise is
// added to the MNIST digits so that no max-pool window has a tie (saturated
// or zero pixels), where the derivative is undefined.
func TestAgainstFiniteDifferences(t *testing.T) {
	b := testutil.XLA(t)
	cfg := cnn.Default
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	forward := model.MustNewExec(b, store, func(scope *model.Scope, x *Node) *Node {
		return cnn.Probabilities(scope, cfg, x)
	})
	m, err := classifier.New(b, store, mnist.Geometry, func(scope *model.Scope, x *Node) *Node { return cnn.Logits(scope, cfg, x) })
	if err != nil {
		t.Fatal(err)
	}
	jac := model.MustNewExec(b, store, func(scope *model.Scope, x *Node) *Node {
		return jacobian.BatchJacobian(scope, m, x, jacobian.Probabilities)
	})

	rng := rand.New(rand.NewPCG(5, 6))
	test := testutil.MNIST(t).Test
	const n = 2
	x := make([]float64, n*784)
	for i := range x {
		x[i] = 0.9*float64(test.Images[i]) + 0.05 + 0.02*rng.Float64()
	}
	jOut := jac.MustCall(tensors.FromFlatDataAndDimensions(x, n, 28, 28, 1))[0]
	if got := jOut.Shape().Dimensions; len(got) != 5 || got[1] != 10 {
		t.Fatalf("float64 Jacobian shape %v", got)
	}
	j := tensors.MustCopyFlatData[float64](jOut)

	// Central differences for 40 random pixels of each image: all perturbed
	// copies go through the model as one batch.
	// A small step keeps both probes on the same side of every max-pool choice.
	const h, pixels = 1e-7, 40
	var batch []float64
	type probe struct{ image, pixel int }
	var probes []probe
	for i := range n {
		for range pixels {
			p := rng.IntN(784)
			probes = append(probes, probe{i, p})
			for _, sign := range []float64{1, -1} {
				img := append([]float64(nil), x[i*784:(i+1)*784]...)
				img[p] += sign * h
				batch = append(batch, img...)
			}
		}
	}
	probs := tensors.MustCopyFlatData[float64](forward.MustCall(
		tensors.FromFlatDataAndDimensions(batch, len(probes)*2, 28, 28, 1))[0])
	var maxErr, maxAbs float64
	for q, pr := range probes {
		for k := range 10 {
			fd := (probs[(2*q)*10+k] - probs[(2*q+1)*10+k]) / (2 * h)
			an := j[(pr.image*10+k)*784+pr.pixel]
			maxErr = math.Max(maxErr, math.Abs(fd-an))
			maxAbs = math.Max(maxAbs, math.Abs(an))
		}
	}
	t.Logf("largest derivative %.3g, largest |analytic - finite difference| %.3g", maxAbs, maxErr)
	if maxAbs == 0 {
		t.Fatal("all derivatives are zero")
	}
	if maxErr > 1e-6*maxAbs {
		t.Errorf("Jacobian and finite differences differ by %.3g (largest derivative %.3g)", maxErr, maxAbs)
	}
}
