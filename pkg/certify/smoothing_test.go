package certify_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
)

// halfSpace is a base classifier whose smoothed version is known in closed
// form: class 1 when pixel 0 exceeds 1/2, class 0 otherwise. Under
// N(0, σ²) noise (clipped to [0, 1], which does not move pixel 0 across
// 1/2), it returns class 1 with probability Φ((v − 1/2)/σ) for v the
// pixel's value, so the smoothed classifier's class changes exactly at
// L2 distance |v − 1/2|, the radius Cohen et al.'s bound reaches when pA is
// known exactly.
type halfSpace struct{}

func (halfSpace) Geometry() classifier.Geometry {
	return classifier.Geometry{Rows: mnist.Rows, Cols: mnist.Cols, Channels: 1, Classes: mnist.NumClasses}
}

func (h halfSpace) Predict(images []float32) ([][]float32, error) {
	n, err := h.Geometry().CheckImages(images)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, mnist.NumClasses)
		if images[i*mnist.Pixels] > 0.5 {
			out[i][1] = 1
		} else {
			out[i][0] = 1
		}
	}
	return out, nil
}

// images returns one image per value, each pixel 0 set to it, the rest 0.
func images(values ...float32) []float32 {
	out := make([]float32, len(values)*mnist.Pixels)
	for i, v := range values {
		out[i*mnist.Pixels] = v
	}
	return out
}

// TestSmoothingRadiusIsSoundAndTight: on the half-space classifier, each
// certified radius is at most the true distance to the smoothed decision
// boundary, and close to it; the class is right; an image on the boundary
// abstains.
func TestSmoothingRadiusIsSoundAndTight(t *testing.T) {
	s := certify.NewSmoothing(0.25)
	values := []float32{0.7, 0.9, 0.3, 0.5}
	labels := []int{1, 1, 0, 0}
	r, err := s.Certify(halfSpace{}, images(values...), labels)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range values[:3] {
		distance := math.Abs(float64(v) - 0.5)
		if r.Classes[i] != labels[i] || !r.Correct[i] {
			t.Errorf("pixel %g: class %d, want %d", v, r.Classes[i], labels[i])
		}
		if r.Radii[i] > distance {
			t.Errorf("pixel %g: certified radius %.4f beyond the true distance %.4f to the boundary: unsound", v, r.Radii[i], distance)
		}
		// With N = 10,000 samples the lower bound of pA sits within about
		// 3.1 standard errors of the true pA.
		pA := distuv.UnitNormal.CDF(distance / s.Sigma)
		slack := 4 * math.Sqrt(pA*(1-pA)/float64(s.N))
		loosest := s.Sigma * distuv.UnitNormal.Quantile(math.Max(0.5, pA-slack))
		if r.Radii[i] < loosest {
			t.Errorf("pixel %g: certified radius %.4f, below %.4f, what pA − 4 standard errors gives: too loose", v, r.Radii[i], loosest)
		}
	}
	if r.Classes[3] != certify.Abstain || r.Radii[3] != 0 || r.Correct[3] {
		t.Errorf("an image on the boundary (pA = 1/2): class %d, radius %g; want Abstain, 0", r.Classes[3], r.Radii[3])
	}
	if got, want := r.CertifiedAccuracy(0), 0.75; got != want {
		t.Errorf("CertifiedAccuracy(0) = %g, want %g", got, want)
	}
	if got := r.CertifiedAccuracy(0.21); got != 0.25 {
		t.Errorf("CertifiedAccuracy(0.21) = %g, want 0.25 (only pixel 0.9 lies beyond 0.2 of the boundary)", got)
	}
	again, err := s.Certify(halfSpace{}, images(values...), labels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Radii, r.Radii) {
		t.Errorf("the same seed gave other radii: %v, then %v", r.Radii, again.Radii)
	}
}

func TestSmoothingPredict(t *testing.T) {
	s := certify.NewSmoothing(0.25)
	s.N = 1000
	classes, err := s.Predict(halfSpace{}, images(0.9, 0.1, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	if classes[0] != 1 || classes[1] != 0 || classes[2] != certify.Abstain {
		t.Errorf("Predict = %v, want [1 0 Abstain]: a clear class each side, a coin flip on the boundary", classes)
	}
}

// TestSmoothingOnTheShippedModel: the smoothed robust model at σ = 0.25
// classifies most of the first 20 test digits right, with positive radii,
// and a certified accuracy that falls as the radius grows.
func TestSmoothingOnTheShippedModel(t *testing.T) {
	testutil.Slow(t)
	m := models(t)["robust"]
	test := testutil.MNIST(t).Test
	const n = 20
	s := certify.NewSmoothing(0.25)
	s.N = 1000
	r, err := s.Certify(m, test.Images[:n*mnist.Pixels], test.Labels[:n])
	if err != nil {
		t.Fatal(err)
	}
	if acc := r.CertifiedAccuracy(0); acc < 0.8 {
		t.Errorf("smoothed accuracy %g on 20 digits, want at least 0.8", acc)
	}
	previous := 1.0
	for _, radius := range []float64{0, 0.25, 0.5, 0.75} {
		acc := r.CertifiedAccuracy(radius)
		t.Logf("σ %g, N %d: certified accuracy %.2f at L2 radius %g", s.Sigma, s.N, acc, radius)
		if acc > previous {
			t.Errorf("certified accuracy rises from %g to %g at radius %g", previous, acc, radius)
		}
		previous = acc
	}
	for i, radius := range r.Radii {
		if max := s.Sigma * distuv.UnitNormal.Quantile(math.Pow(s.Alpha, 1/float64(s.N))); radius > max+1e-12 {
			t.Errorf("image %d: radius %g above the largest N samples can certify, %g", i, radius, max)
		}
	}
}

// The zero Smoothing runs with the documented defaults: NewSmoothing(0.25)
// with seed 0.
func TestZeroSmoothingIsTheDefault(t *testing.T) {
	img, labels := images(0.7), []int{1}
	want := certify.NewSmoothing(0.25)
	want.Seed = 0
	if got := (certify.Smoothing{}).WithDefaults(); got != want {
		t.Errorf("Smoothing{}.WithDefaults() = %+v, want %+v", got, want)
	}
	zero, err := certify.Smoothing{}.Certify(halfSpace{}, img, labels)
	if err != nil {
		t.Fatalf("the zero Smoothing: %v", err)
	}
	full, err := want.Certify(halfSpace{}, img, labels)
	if err != nil {
		t.Fatal(err)
	}
	if zero.Radii[0] != full.Radii[0] || zero.Sigma != 0.25 {
		t.Errorf("the zero Smoothing certified radius %g at σ %g, its defaults %g", zero.Radii[0], zero.Sigma, full.Radii[0])
	}
}

func TestSmoothingBadInput(t *testing.T) {
	good := certify.NewSmoothing(0.25)
	img, labels := images(0.7), []int{1}
	for _, tc := range []struct {
		name string
		s    certify.Smoothing
		want string
	}{
		{"σ < 0", func() certify.Smoothing { s := good; s.Sigma = -1; return s }(), "σ is -1"},
		{"σ NaN", func() certify.Smoothing { s := good; s.Sigma = math.NaN(); return s }(), "σ is NaN"},
		{"N0 < 0", func() certify.Smoothing { s := good; s.N0 = -1; return s }(), "N0 is -1"},
		{"N < 0", func() certify.Smoothing { s := good; s.N = -5; return s }(), "N is -5"},
		{"α < 0", func() certify.Smoothing { s := good; s.Alpha = -0.1; return s }(), "α is -0.1"},
		{"α = 1", func() certify.Smoothing { s := good; s.Alpha = 1; return s }(), "α is 1"},
	} {
		_, err := tc.s.Certify(halfSpace{}, img, labels)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Certify error %v, want one line naming %q", tc.name, err, tc.want)
		}
		if _, err := tc.s.Predict(halfSpace{}, img); err == nil {
			t.Errorf("%s: Predict gave no error", tc.name)
		}
	}
	if _, err := good.Certify(nil, img, labels); err == nil {
		t.Error("nil classifier: no error")
	}
	if _, err := good.Certify(halfSpace{}, images(1.5), labels); err == nil || !strings.Contains(err.Error(), "1.5") {
		t.Errorf("a pixel of 1.5: error %v, want one naming it", err)
	}
	if _, err := good.Certify(halfSpace{}, img, []int{10}); err == nil {
		t.Error("label 10: no error")
	}
	if _, err := good.Predict(halfSpace{}, img[:100]); err == nil {
		t.Error("a partial image: Predict gave no error")
	}
}
