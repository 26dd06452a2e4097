package certify_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// models are the article's (linear but for its max-pool) and the shipped
// robust one (ReLUs, two convolutions, a hidden layer).
func models(t *testing.T) map[string]*cnn.Model {
	robust, err := cnn.Load(testutil.XLA(t), "../../checkpoints/robust")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*cnn.Model{"article": testutil.Trained(t), "robust": robust}
}

// logits returns the model's logits on images: the log of its
// probabilities, which differ from the logits by a constant per image, so
// compare differences of them, or use within's tolerance on shifts.
func logProbabilities(t *testing.T, m classifier.Predictor, images []float32) [][]float64 {
	t.Helper()
	probs, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(probs))
	for i, p := range probs {
		for _, v := range p {
			out[i] = append(out[i], math.Log(float64(v)))
		}
	}
	return out
}

// TestBoundsHoldEveryPointOfTheBall: for random points of the ball and for
// PGD's adversarials inside it, every difference of logits the model
// produces is at least the certified margin, by IBP and by CROWN-IBP, and
// the margins are no looser than the logit bounds subtracted.
func TestBoundsHoldEveryPointOfTheBall(t *testing.T) {
	testutil.Slow(t)
	test := testutil.MNIST(t).Test
	const n = 20
	images, labels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	rng := rand.New(rand.NewSource(3))
	methods := map[string]func(certify.Model, []float32, []int, float64) (*certify.Bounds, error){"IBP": certify.IBP, "CROWN-IBP": certify.CROWNIBP}
	for modelName, m := range models(t) {
		for _, eps := range []float64{0.02, 0.1, 0.3} {
			for method, bounds := range methods {
				name := modelName + " " + method
				b, err := bounds(m, images, labels, eps)
				if err != nil {
					t.Fatal(err)
				}
				var points [][]float32
				pgd := attack.NewPGD(attack.Linf)
				pgd.Steps, pgd.LastIterate = 20, true
				res, err := pgd.Run(m, images, attack.Misclassification{Labels: labels}, eps)
				if err != nil {
					t.Fatal(err)
				}
				points = append(points, res.Clipped[0])
				for range 3 {
					noisy := make([]float32, len(images))
					for p, v := range images {
						noisy[p] = float32(math.Min(1, math.Max(0, float64(v)+eps*(2*rng.Float64()-1))))
					}
					points = append(points, noisy)
				}
				for _, x := range points {
					logs := logProbabilities(t, m, x)
					for i := range n {
						y := labels[i]
						for j := range mnist.NumClasses {
							if j == y {
								continue
							}
							margin := logs[i][y] - logs[i][j] // = logit_y − logit_j
							if margin < float64(b.Margins[i][j])-1e-3 {
								t.Fatalf("%s ε=%g image %d: logit %d − logit %d is %.4f inside the ball, below its bound %.4f", name, eps, i, y, j, margin, b.Margins[i][j])
							}
							if loose := float64(b.Lower[i][y] - b.Upper[i][j]); float64(b.Margins[i][j]) < loose-1e-3 {
								t.Fatalf("%s ε=%g image %d: margin bound %.4f looser than the logits' %.4f", name, eps, i, b.Margins[i][j], loose)
							}
						}
					}
				}
				// A certified image is never fooled by the attack.
				for i, ok := range b.Certified {
					if ok && res.Success[0][i] {
						t.Errorf("%s ε=%g: image %d is certified, yet PGD fooled it", name, eps, i)
					}
				}
				t.Logf("%s at ε=%g: certified %.0f%%, PGD robust %.0f%%", name, eps, 100*b.Accuracy(), 100*(1-res.SuccessRate(0)))
			}
		}
	}
}

// TestCROWNIBPIsTighterOnTheRobustModel: on the shipped robust model, whose
// last layers are dense, ReLU, dense, CROWN-IBP's margins are never below
// IBP's and above them on average, and it certifies at least as many of
// the first 200 test images at a small budget.
func TestCROWNIBPIsTighterOnTheRobustModel(t *testing.T) {
	testutil.Slow(t)
	test := testutil.MNIST(t).Test
	const n, eps = 200, 0.01
	images, labels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	m := models(t)["robust"]
	ibp, err := certify.IBP(m, images, labels, eps)
	if err != nil {
		t.Fatal(err)
	}
	crown, err := certify.CROWNIBP(m, images, labels, eps)
	if err != nil {
		t.Fatal(err)
	}
	gain := 0.0
	for i := range n {
		for j := range mnist.NumClasses {
			if crown.Margins[i][j] < ibp.Margins[i][j] {
				t.Fatalf("image %d class %d: CROWN-IBP margin %g below IBP's %g", i, j, crown.Margins[i][j], ibp.Margins[i][j])
			}
			gain += float64(crown.Margins[i][j]-ibp.Margins[i][j]) / (n * (mnist.NumClasses - 1))
		}
	}
	t.Logf("ε=%g on %d images: certified %.1f%% by IBP, %.1f%% by CROWN-IBP; mean margin gain %.3f", eps, n, 100*ibp.Accuracy(), 100*crown.Accuracy(), gain)
	if !(gain > 0) || crown.Accuracy() < ibp.Accuracy() {
		t.Errorf("CROWN-IBP gained %g on the margins and certified %g against IBP's %g: want a positive gain and no fewer", gain, crown.Accuracy(), ibp.Accuracy())
	}
}

// TestZeroBudgetIsTheModel: at ε = 0 the box is a point, the bounds are the
// logits themselves (up to rounding), and an image is certified exactly
// when the model classifies it right.
func TestZeroBudgetIsTheModel(t *testing.T) {
	test := testutil.MNIST(t).Test
	const n = 50
	images, labels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	for name, m := range models(t) {
		b, err := certify.IBP(m, images, labels, 0)
		if err != nil {
			t.Fatal(err)
		}
		logs := logProbabilities(t, m, images)
		classes, _, err := m.Classify(images)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			for j := range mnist.NumClasses {
				width := b.Upper[i][j] - b.Lower[i][j]
				// Logits and log-probabilities differ by one constant per image.
				shift := float64(b.Lower[i][0]) - logs[i][0]
				if width > 1e-4 || math.Abs(float64(b.Lower[i][j])-logs[i][j]-shift) > 1e-3 {
					t.Fatalf("%s image %d class %d: bounds [%g, %g] at ε=0, log-probability %g (+%g)", name, i, j, b.Lower[i][j], b.Upper[i][j], logs[i][j], shift)
				}
			}
			if b.Certified[i] != (classes[i] == labels[i]) {
				t.Errorf("%s image %d: certified %v at ε=0, classified %d with label %d", name, i, b.Certified[i], classes[i], labels[i])
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	images, labels := test.Images[:2*mnist.Pixels], test.Labels[:2]
	for _, c := range []struct {
		images []float32
		labels []int
		eps    float64
		want   string
	}{
		{images, labels, -0.1, "ε -0.1 is not a budget"},
		{images, labels, 1.5, "ε 1.5 is not a budget"},
		{images, labels, math.NaN(), "ε NaN is not a budget"},
		{images, labels[:1], 0.1, "1 labels for 2 images"},
		{images, []int{3, 10}, 0.1, "label 10 of image 1"},
		{images[:100], labels, 0.1, "certify:"},
	} {
		_, err := certify.IBP(m, c.images, c.labels, c.eps)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ε %g: error %v, want one line with %q", c.eps, err, c.want)
		}
	}
	if _, err := certify.IBP(nil, images, labels, 0.1); err == nil || !strings.Contains(err.Error(), "model is nil") {
		t.Errorf("nil model: %v", err)
	}
	// A classifier of one's own, as it is: refused in one line that names
	// what the bounds take.
	if _, err := certify.IBP(testutil.MLP(t), images, labels, 0.1); err == nil || !strings.Contains(err.Error(), "cannot be bounded") || !strings.Contains(err.Error(), "onnxmodel.Load") {
		t.Errorf("a classifier.Model: %v; want one line naming the models the bounds take", err)
	}
	// A network of one's own, wrapped in a cnn.Model: refused in one line
	// that says which networks the bounds take, with the zero Config as
	// with a Config its weights do not match.
	mlp := testutil.MLP(t)
	for _, c := range []struct {
		config cnn.Config
		want   string
	}{
		{cnn.Config{}, "Config (conv 0@0x0, maxpool 0x0, dense 10) is not a network"},
		{cnn.Default, "no weights at /cnn/"},
	} {
		for _, bounds := range []func(certify.Model, []float32, []int, float64) (*certify.Bounds, error){certify.IBP, certify.CROWNIBP} {
			_, err := bounds(&cnn.Model{Model: mlp, Config: c.config}, images, labels, 0.1)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "other networks cannot be certified yet") || strings.Contains(err.Error(), "\n") {
				t.Errorf("an MLP with Config %v: error %v, want one line with %q that names the networks certify takes", c.config, err, c.want)
			}
		}
	}
}

// TestAnchorNetworksAtZeroBudget: the bounds follow the anchors' networks
// (SmallCNN's four unpadded convolutions, Madry's padded ones, LeNetSmall's
// strided ones without a max-pool): at ε = 0 they are the logits.
func TestAnchorNetworksAtZeroBudget(t *testing.T) {
	test := testutil.MNIST(t).Test
	const n = 8
	images, labels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	for _, c := range []cnn.Config{cnn.SmallCNN, cnn.Madry, cnn.LeNetSmall} {
		m, err := cnn.New(testutil.XLA(t), c, 1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := certify.IBP(m, images, labels, 0)
		if err != nil {
			t.Fatal(err)
		}
		logs := logProbabilities(t, m, images)
		for i := range n {
			shift := float64(b.Lower[i][0]) - logs[i][0]
			for j := range mnist.NumClasses {
				if width := b.Upper[i][j] - b.Lower[i][j]; width > 1e-4 || math.Abs(float64(b.Lower[i][j])-logs[i][j]-shift) > 1e-3 {
					t.Fatalf("%v image %d class %d: bounds [%g, %g] at ε=0, log-probability %g (+%g)", c.Arch, i, j, b.Lower[i][j], b.Upper[i][j], logs[i][j], shift)
				}
			}
		}
	}
}
