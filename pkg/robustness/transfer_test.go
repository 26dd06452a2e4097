package robustness_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/robustness"
)

// sevens is a target that ignores its input and calls every image a 7.
type sevens struct{}

func (sevens) Geometry() classifier.Geometry { return mnist.Geometry }
func (sevens) Predict(images []float32) ([][]float32, error) {
	out := make([][]float32, len(images)/mnist.Pixels)
	for i := range out {
		out[i] = make([]float32, mnist.NumClasses)
		out[i][7] = 1
	}
	return out, nil
}

func TestTransferJudgesWithTheTarget(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 60)
	pgd := lightPGD()
	pgd.LastIterate = true
	epsilons := []float64{0.05, 0.3}

	// Onto itself, transfer is the white-box robust accuracy.
	self, err := robustness.Transfer(m, m, images, labels, pgd, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + self.Table())
	for e := range epsilons {
		if self.TargetAccuracy[e] != self.SourceAccuracy[e] {
			t.Errorf("ε=%g: the model judges its own adversarials at %.3f as target, %.3f as source", epsilons[e], self.TargetAccuracy[e], self.SourceAccuracy[e])
		}
	}
	if self.SourceAccuracy[1] > 0.05 || self.SourceAccuracy[0] >= self.SourceCleanAccuracy {
		t.Errorf("PGD barely hurt the source: %v from %.3f clean", self.SourceAccuracy, self.SourceCleanAccuracy)
	}

	// A target that ignores its input keeps its clean accuracy, whatever the source's attack did.
	sevensShare := 0.0
	for _, l := range labels {
		if l == 7 {
			sevensShare++
		}
	}
	sevensShare /= float64(len(labels))
	r, err := robustness.Transfer(m, sevens{}, images, labels, pgd, epsilons...)
	if err != nil {
		t.Fatal(err)
	}
	if r.TargetCleanAccuracy != sevensShare || r.TargetAccuracy[0] != sevensShare || r.TargetAccuracy[1] != sevensShare {
		t.Errorf("constant target: clean %.3f, under transfer %v; want %.3f (the share of 7s) throughout", r.TargetCleanAccuracy, r.TargetAccuracy, sevensShare)
	}
	if r.SourceAccuracy[1] != self.SourceAccuracy[1] {
		t.Errorf("the source's accuracy depends on the target: %.3f and %.3f", r.SourceAccuracy[1], self.SourceAccuracy[1])
	}

	// The report holds the adversarials it judged: the source and the
	// target classify them again to the same accuracies, and each stays
	// within its budget.
	if self.Result == nil || len(self.Result.Clipped) != len(epsilons) {
		t.Fatalf("the report's Result %v: want the attack's run at %d budgets", self.Result, len(epsilons))
	}
	for e, eps := range epsilons {
		adversarials := self.Result.Clipped[e]
		if got := accuracyOf(t, m, adversarials, labels); got != self.SourceAccuracy[e] {
			t.Errorf("ε=%g: the model is %.3f accurate on the report's adversarials, the report says %.3f", eps, got, self.SourceAccuracy[e])
		}
		for i := range labels {
			if d := attack.Linf.Measure(mnist.Geometry.Image(images, i), mnist.Geometry.Image(adversarials, i)); d > eps+1e-6 {
				t.Errorf("ε=%g image %d: the report's adversarial is at L∞ %g", eps, i, d)
			}
		}
	}
}

// accuracyOf is the share of images that m classifies as their labels.
func accuracyOf(t *testing.T, m classifier.Predictor, images []float32, labels []int) float64 {
	t.Helper()
	classes, _, err := classifier.Classify(m, images)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, c := range classes {
		if c == labels[i] {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

func TestTransferRejectsBadInput(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 2)
	other := classifier.Geometry{Rows: 2, Cols: 2, Channels: 1, Classes: 2}
	for _, c := range []struct {
		name string
		run  func() error
		want string
	}{
		{"no attack", func() error { _, err := robustness.Transfer(m, m, images, labels, nil, 0.1); return err }, "no attack"},
		{"no budget", func() error { _, err := robustness.Transfer(m, m, images, labels, lightPGD()); return err }, "no budgets"},
		{"nil target", func() error { _, err := robustness.Transfer(m, nil, images, labels, lightPGD(), 0.1); return err }, "nil"},
		{"labels", func() error { _, err := robustness.Transfer(m, m, images, labels[:1], lightPGD(), 0.1); return err }, "1 labels for 2 images"},
		{"geometry", func() error {
			_, err := robustness.Transfer(m, geometryOnly{other}, images, labels, lightPGD(), 0.1)
			return err
		}, "same images"},
		{"pixels", func() error {
			bad := append([]float32{255}, images[1:]...)
			_, err := robustness.Transfer(m, m, bad, labels, lightPGD(), 0.1)
			return err
		}, "255"},
	} {
		if err := c.run(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// geometryOnly is a Predictor of another geometry.
type geometryOnly struct{ g classifier.Geometry }

func (p geometryOnly) Geometry() classifier.Geometry { return p.g }
func (p geometryOnly) Predict([]float32) ([][]float32, error) {
	return nil, nil
}
