package attack_test

import (
	"math"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/jacobian"
)

// pairs returns n test images with their labels and a target per image
// (label+1+i mod 10, never the label).
func pairs(t *testing.T, n int) (images []float32, labels, targets []int) {
	test := testutil.MNIST(t).Test
	for i := range n {
		images = append(images, test.Image(i)...)
		labels = append(labels, test.Labels[i])
		targets = append(targets, (test.Labels[i]+1+i%9)%10)
	}
	return images, labels, targets
}

func TestRunSucceedsAndStaysInRange(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, targets := pairs(t, 20)
	a := &attack.TargetedAscent{}
	res, err := a.Run(m, images, attack.TargetedMisclassification{Targets: targets, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Raw) != 20 || len(res.Clipped) != 1 || !math.IsInf(res.Epsilons[0], 1) {
		t.Fatalf("Result holds %d raw, %d clipped sets, epsilons %v", len(res.Raw), len(res.Clipped), res.Epsilons)
	}
	if rate := res.SuccessRate(); rate < 0.95 {
		t.Errorf("success rate %.2f on 20 pairs", rate)
	}
	var adversarial []float32
	for _, adv := range res.Raw {
		adversarial = append(adversarial, adv.Image...)
	}
	classes, confidences, err := m.Classify(adversarial)
	if err != nil {
		t.Fatal(err)
	}
	for i, adv := range res.Raw {
		for p, v := range adv.Image {
			if v < 0 || v > 1 {
				t.Fatalf("pair %d: pixel %d is %g, outside [0,1]", i, p, v)
			}
		}
		// Success means the model predicts the target on the returned image.
		if adv.Succeeded != (classes[i] == targets[i]) {
			t.Errorf("pair %d: Succeeded=%v but the model predicts %d for target %d", i, adv.Succeeded, classes[i], targets[i])
		}
		if adv.Prediction != classes[i] || math.Abs(float64(adv.Confidence-confidences[i])) > 1e-5 {
			t.Errorf("pair %d: reported prediction %d (%.4f), model says %d (%.4f)", i, adv.Prediction, adv.Confidence, classes[i], confidences[i])
		}
		if res.Success[0][i] != adv.Succeeded {
			t.Errorf("pair %d: Success[0] disagrees with Raw", i)
		}
		tr := adv.Trajectory
		if len(tr.Source) != adv.Steps+1 || len(tr.Target) != adv.Steps+1 {
			t.Errorf("pair %d: trajectory of %d/%d entries for %d steps", i, len(tr.Source), len(tr.Target), adv.Steps)
		}
		if adv.Succeeded && tr.Target[len(tr.Target)-1] != adv.Confidence {
			t.Errorf("pair %d: last target confidence %g, final confidence %g", i, tr.Target[len(tr.Target)-1], adv.Confidence)
		}
		if adv.Succeeded && (adv.Steps == 0) != (adv.Source == targets[i]) {
			t.Errorf("pair %d: succeeded in %d steps from source %d", i, adv.Steps, adv.Source)
		}
		// Each step moves a pixel by at most ε, so L∞ ≤ steps·ε.
		if adv.Linf > float64(adv.Steps)*attack.DefaultStepSize+1e-6 || adv.L2 < adv.Linf || float64(adv.L0) < adv.L2*adv.L2/(adv.Linf*adv.Linf)-1e-6 {
			t.Errorf("pair %d: inconsistent distances L0=%d L2=%g Linf=%g after %d steps", i, adv.L0, adv.L2, adv.Linf, adv.Steps)
		}
	}
}

func TestStepLimitIsNotSuccess(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, targets := pairs(t, 3)
	a := &attack.TargetedAscent{StepSize: 1e-4, MaxSteps: 2}
	res, err := a.Run(m, images, attack.TargetedMisclassification{Targets: targets, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	for i, adv := range res.Raw {
		if adv.Succeeded || adv.Steps != 2 || len(adv.Trajectory.Target) != 3 {
			t.Errorf("pair %d: Succeeded=%v Steps=%d trajectory %d: want a stop at the limit of 2 steps", i, adv.Succeeded, adv.Steps, len(adv.Trajectory.Target))
		}
		if adv.Linf == 0 || adv.Linf > 2e-4+1e-7 {
			t.Errorf("pair %d: moved by %g in 2 steps of 1e-4", i, adv.Linf)
		}
	}
}

func TestBadInputs(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, targets := pairs(t, 2)
	a := &attack.TargetedAscent{}
	crit := func(targets, labels []int) attack.TargetedMisclassification {
		return attack.TargetedMisclassification{Targets: targets, Labels: labels}
	}
	outOfRange := append([]float32(nil), images...)
	outOfRange[100] = 1.5
	for _, tc := range []struct {
		name   string
		images []float32
		crit   attack.TargetedMisclassification
		want   string
	}{
		{"target is the label", images, crit([]int{labels[0], targets[1]}, labels), "equals its true label"},
		{"target above 9", images, crit([]int{10, targets[1]}, labels), "target class 10 of pair 0 is outside 0..9"},
		{"negative target", images, crit([]int{targets[0], -1}, nil), "target class -1 of pair 1"},
		{"too few targets", images, crit([]int{targets[0]}, nil), "1 target classes for 2 images"},
		{"wrong length", images[:700], crit(targets, nil), "700 values"},
		{"pixel out of range", outOfRange, crit(targets, labels), "pixel 100 of image 0 is 1.5"},
	} {
		_, err := a.Run(m, tc.images, tc.crit)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	for _, bad := range []*attack.TargetedAscent{{StepSize: -0.1}, {StepSize: math.NaN()}, {MaxSteps: -1}, {Scaling: 7}} {
		if _, err := bad.Run(m, images, crit(targets, labels)); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := a.Run(m, images, crit(targets, labels), -0.1); err == nil {
		t.Error("negative epsilon: no error")
	}
}

// TestStepIsTheArticlesRule compares one step with the article's rule
// computed from the Jacobian of the probabilities:
// x' = clip(x + ε g / max|g|, 0, 1), g the target class's slice.
func TestStepIsTheArticlesRule(t *testing.T) {
	m := testutil.Trained(t)
	images, _, targets := pairs(t, 4)
	const eps = 0.05
	for _, scaling := range []attack.Scaling{attack.MaxAbs, attack.Sign, attack.L2} {
		a := &attack.TargetedAscent{StepSize: eps, Scaling: scaling}
		got, err := a.Step(m, images, targets)
		if err != nil {
			t.Fatal(err)
		}
		j, err := jacobian.Compute(m, images, jacobian.Probabilities)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := j.Targets(targets)
		for i := range 4 {
			gi := g[i*784 : (i+1)*784]
			var maxAbs, norm float64
			for _, v := range gi {
				maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
				norm += float64(v) * float64(v)
			}
			norm = math.Sqrt(norm)
			for p, v := range gi {
				var dir float64
				switch scaling {
				case attack.MaxAbs:
					dir = float64(v) / maxAbs
				case attack.Sign:
					dir = math.Copysign(1, float64(v))
					if v == 0 || math.Abs(float64(v)) < 1e-6*maxAbs {
						continue // The sign of a vanishing derivative is rounding noise.
					}
				case attack.L2:
					dir = float64(v) / norm
				}
				want := math.Min(1, math.Max(0, float64(images[i*784+p])+eps*dir))
				if d := math.Abs(float64(got[i*784+p]) - want); d > 1e-4*eps+1e-6 {
					t.Fatalf("%v, image %d pixel %d: stepped to %g, the article's rule gives %g", scaling, i, p, got[i*784+p], want)
				}
			}
		}
	}
}

// TestBatchedEqualsOneByOne checks that pairs in one batch stop on their
// own: each comes out as if attacked alone.
func TestBatchedEqualsOneByOne(t *testing.T) {
	m := testutil.Trained(t)
	images, _, targets := pairs(t, 5)
	a := &attack.TargetedAscent{StepSize: 0.02}
	batch, err := a.Run(m, images, attack.TargetedMisclassification{Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		alone, err := a.Attack(m, images[i*784:(i+1)*784], targets[i])
		if err != nil {
			t.Fatal(err)
		}
		b := batch.Raw[i]
		if alone.Steps != b.Steps || alone.Succeeded != b.Succeeded {
			t.Fatalf("pair %d: %d steps (%v) alone, %d steps (%v) in the batch", i, alone.Steps, alone.Succeeded, b.Steps, b.Succeeded)
		}
		for p := range alone.Image {
			if math.Abs(float64(alone.Image[p]-b.Image[p])) > 1e-5 {
				t.Fatalf("pair %d pixel %d: %g alone, %g in the batch", i, p, alone.Image[p], b.Image[p])
			}
		}
	}
}

func TestEpsilonBudgets(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, targets := pairs(t, 10)
	a := &attack.TargetedAscent{}
	res, err := a.Run(m, images, attack.TargetedMisclassification{Targets: targets, Labels: labels}, 0, 0.05, math.Inf(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Clipped) != 3 || len(res.Success) != 3 {
		t.Fatalf("%d clipped sets for 3 epsilons", len(res.Clipped))
	}
	for e, eps := range res.Epsilons {
		for i, adv := range res.Raw {
			for p := range 784 {
				d := math.Abs(float64(res.Clipped[e][i*784+p] - adv.Original[p]))
				if d > eps+1e-6 {
					t.Fatalf("ε=%g pair %d pixel %d: moved by %g", eps, i, p, d)
				}
			}
		}
	}
	for i := range res.Raw {
		if res.Success[0][i] {
			t.Errorf("ε=0 leaves pair %d unchanged, yet it counts as a success", i)
		}
		if res.Success[2][i] != res.Raw[i].Succeeded {
			t.Errorf("ε=∞: pair %d success %v, raw %v", i, res.Success[2][i], res.Raw[i].Succeeded)
		}
	}
	classes, _, _ := m.Classify(res.Clipped[1])
	for i := range res.Raw {
		if res.Success[1][i] != (classes[i] == targets[i]) {
			t.Errorf("ε=0.05 pair %d: Success %v, prediction %d, target %d", i, res.Success[1][i], classes[i], targets[i])
		}
	}
}
