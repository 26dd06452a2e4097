package attack_test

import (
	"math"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/jacobian"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/stats"
)

// checkResult asserts what every attack's result must hold: one entry per
// budget, images in [0, 1] and within each budget, success as a fresh
// prediction judges it, and the attack's own verdicts agreeing with it.
// fixed says whether the attack is a fixed-budget one (its raw output must
// respect the budget too).
func checkResult(t *testing.T, m classifier.Predictor, res *attack.Result, crit attack.Criterion, fixed bool) {
	t.Helper()
	g := m.Geometry()
	n := res.N()
	if k := len(res.Epsilons); len(res.Raw) != k || len(res.Clipped) != k || len(res.Success) != k || len(res.Claimed) != k {
		t.Fatalf("%s: %d budgets but %d raw, %d clipped, %d success, %d claimed sets",
			res.Attack, k, len(res.Raw), len(res.Clipped), len(res.Success), len(res.Claimed))
	}
	for e, eps := range res.Epsilons {
		for _, images := range [][]float32{res.Raw[e], res.Clipped[e]} {
			for j, v := range images {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s ε=%g: value %d of image %d is %g, outside [0, 1]", res.Attack, eps, j%g.Pixels(), j/g.Pixels(), v)
				}
			}
		}
		tolerance := 1e-5*eps + 1e-6
		for i := range n {
			original := g.Image(res.Originals, i)
			if d := res.Distance.Measure(original, g.Image(res.Clipped[e], i)); d > eps+tolerance {
				t.Errorf("%s ε=%g: clipped image %d is at %v distance %g", res.Attack, eps, i, res.Distance, d)
			}
			if d := res.Distance.Measure(original, g.Image(res.Raw[e], i)); fixed && d > eps+tolerance {
				t.Errorf("%s ε=%g: the attack's image %d is at %v distance %g, beyond its budget", res.Attack, eps, i, res.Distance, d)
			}
		}
		probs, err := m.Predict(res.Clipped[e])
		if err != nil {
			t.Fatal(err)
		}
		disagree := 0
		for i := range n {
			if want := crit.IsAdversarial(i, probs[i]); res.Success[e][i] != want {
				t.Errorf("%s ε=%g image %d: Success %v, but the model predicts %d", res.Attack, eps, i, res.Success[e][i], classifier.Argmax(probs[i]))
			}
			if (fixed || math.IsInf(eps, 1)) && res.Claimed[e][i] != res.Success[e][i] {
				disagree++
			}
		}
		if disagree > 0 {
			t.Errorf("%s ε=%g: the attack's verdict disagrees with the prediction on %d of %d images", res.Attack, eps, disagree, n)
		}
	}
}

func successRate(res *attack.Result, e int) float64 { return res.SuccessRate(e) }

// lighter returns attacks with fewer steps than their defaults, for tests.
func lighterAPGD(d attack.Distance, loss attack.Loss) *attack.APGD {
	a := attack.NewAPGD(d, loss)
	a.Steps, a.NumTargets = 30, 2
	return a
}

// The attacks' properties are checked on 8 digits: one batch, which the
// loop never compacts (minCompacted), so each attack compiles its step once
// per model. A success rate of at least 0.9 then means all 8.
func TestFixedBudgetAttacks(t *testing.T) {
	testutil.Slow(t)
	images, labels, targets := sample(t, 8)
	untargeted := attack.Misclassification{Labels: labels}
	targeted := attack.TargetedMisclassification{Targets: targets, Labels: labels}
	pgdRestarts := attack.NewPGD(attack.Linf)
	pgdRestarts.Restarts, pgdRestarts.Steps, pgdRestarts.RelStepSize = 3, 10, 0.15
	for _, m := range []classifier.Differentiable{testutil.Trained(t), mlp(t)} {
		for _, tc := range []struct {
			a        attack.FixedEpsilon
			crit     attack.Criterion
			epsilons []float64
			least    float64 // Success rate at the largest budget.
		}{
			{attack.NewFGSM(), untargeted, []float64{0, 0.05, 0.3}, 0.6},
			{attack.NewFGM(), untargeted, []float64{1, 5}, 0.6},
			{attack.NewBIM(), targeted, []float64{0.1, 0.3}, 0.8},
			{attack.NewPGD(attack.Linf), untargeted, []float64{0.05, 0.3}, 0.9},
			{attack.NewPGD(attack.L2), targeted, []float64{1, 4}, 0.8},
			{pgdRestarts, targeted, []float64{0.2}, 0.5},
			{attack.NewMIFGSM(), targeted, []float64{0.3}, 0.8},
			{lighterAPGD(attack.Linf, attack.CrossEntropy), untargeted, []float64{0.1, 0.3}, 0.9},
			{lighterAPGD(attack.L2, attack.DLR), untargeted, []float64{3}, 0.8},
			{lighterAPGD(attack.Linf, attack.TargetedDLR), untargeted, []float64{0.3}, 0.9},
			{lighterAPGD(attack.Linf, attack.TargetedDLR), targeted, []float64{0.3}, 0.8},
			{lighterAPGD(attack.Linf, attack.CrossEntropy), targeted, []float64{0.3}, 0.8},
		} {
			res, err := tc.a.Run(m, images, tc.crit, tc.epsilons...)
			if err != nil {
				t.Fatalf("%s: %v", tc.a, err)
			}
			checkResult(t, m, res, tc.crit, true)
			last := len(tc.epsilons) - 1
			if rate := successRate(res, last); rate < tc.least {
				t.Errorf("%T %s ε=%g: success rate %.2f, expected at least %.2f", m, tc.a, tc.epsilons[last], rate, tc.least)
			}
			if tc.epsilons[0] == 0 {
				for i := range res.N() {
					if res.Success[0][i] && !tc.crit.IsAdversarial(i, res.Clean[i*10:(i+1)*10]) {
						t.Errorf("%s: ε=0 fooled the model on image %d, which it classified right", tc.a, i)
					}
				}
			}
		}
	}
}

func TestMinimalAttacks(t *testing.T) {
	testutil.Slow(t)
	images, labels, targets := sample(t, 8)
	untargeted := attack.Misclassification{Labels: labels}
	targeted := attack.TargetedMisclassification{Targets: targets, Labels: labels}
	// Carlini-Wagner in 4×150 steps of 0.05: 150 steps of the default
	// 0.01 barely move saturated pixels (they fooled 5 and 1 of these 8
	// digits of the CNN, untargeted and targeted); these fool all 8 of both
	// models.
	cw := attack.NewCarliniWagner()
	cw.BinarySearchSteps, cw.Steps, cw.InitialConst, cw.StepSize = 4, 150, 0.1, 0.05
	for _, m := range []classifier.Differentiable{testutil.Trained(t), mlp(t)} {
		for _, tc := range []struct {
			a     attack.Attack
			crit  attack.Criterion
			norm  attack.Distance
			least float64 // Unbounded success rate.
		}{
			{attack.NewDeepFool(attack.L2), untargeted, attack.L2, 0.95},
			{attack.NewDeepFool(attack.Linf), untargeted, attack.Linf, 0.95},
			{cw, untargeted, attack.L2, 0.95},
			{cw, targeted, attack.L2, 0.9},
			{attack.NewJSMA(), targeted, attack.L0, 0.5},
			{attack.NewMinimalEpsilon(attack.NewFGSM()), untargeted, attack.Linf, 0.9},
			{attack.NewTargetedAscent(), targeted, attack.Linf, 0.95},
			{attack.NewFAB(attack.Linf), untargeted, attack.Linf, 0.95},
			{attack.NewFAB(attack.L2), untargeted, attack.L2, 0.95},
			{attack.NewFAB(attack.Linf), targeted, attack.Linf, 0.9},
			{&attack.FAB{Targets: 3, Steps: 30}, untargeted, attack.Linf, 0.95},
		} {
			res, err := tc.a.Run(m, images, tc.crit)
			if err != nil {
				t.Fatalf("%s: %v", tc.a, err)
			}
			if res.Distance != tc.norm || len(res.Epsilons) != 1 || !math.IsInf(res.Epsilons[0], 1) {
				t.Errorf("%s: distance %v, budgets %v: want %v and one unbounded budget", tc.a, res.Distance, res.Epsilons, tc.norm)
			}
			checkResult(t, m, res, tc.crit, false)
			if rate := successRate(res, 0); rate < tc.least {
				t.Errorf("%T %s: success rate %.2f, expected at least %.2f", m, tc.a, rate, tc.least)
			}
			// Budgets clip the one search: the median distance is the
			// budget that keeps about half the successes.
			distances := res.Distances(0, tc.norm)
			budgets := []float64{0, stats.Median(distances)}
			clipped, err := tc.a.Run(m, images, tc.crit, budgets...)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, m, clipped, tc.crit, false)
			for i := range res.N() {
				if clipped.Success[0][i] && !tc.crit.IsAdversarial(i, res.Clean[i*10:(i+1)*10]) {
					t.Errorf("%s: a zero budget fooled the model on image %d", tc.a, i)
				}
			}
		}
	}
}

// TestMinimalEpsilonIsMinimal checks the binary search: the budget it finds
// fools the model, and 10% less does not, for FGSM (whose output for a
// budget is a deterministic function of it).
func TestMinimalEpsilonIsMinimal(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, _ := sample(t, 8)
	crit := attack.Misclassification{Labels: labels}
	search := attack.NewMinimalEpsilon(attack.NewFGSM())
	search.Bisections = 12
	res, err := search.Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	for i, eps := range res.Distances(0, attack.Linf) {
		if !res.Success[0][i] || eps == 0 {
			continue
		}
		below, err := attack.NewFGSM().Run(m, images[i*784:(i+1)*784], attack.Misclassification{Labels: labels[i : i+1]}, 0.9*eps)
		if err != nil {
			t.Fatal(err)
		}
		if below.Success[0][0] {
			t.Errorf("image %d: the search found ε=%.4f, yet FGSM succeeds at %.4f", i, eps, 0.9*eps)
		}
	}
}

// TestBatchedEqualsAlone checks that images of a batch stop on their own:
// each comes out as if attacked alone.
func TestBatchedEqualsAlone(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	// 12 images: enough that the batch is compacted (to 8 slots) once
	// half of them are done, so the images also move between batches.
	const n = 12
	images, labels, targets := sample(t, n)
	for _, tc := range []struct {
		a    attack.Attack
		crit func(lo, hi int) attack.Criterion
		eps  []float64
	}{
		{&attack.TargetedAscent{StepSize: 0.02, MaxSteps: 500}, func(lo, hi int) attack.Criterion {
			return attack.TargetedMisclassification{Targets: targets[lo:hi]}
		}, nil},
		{attack.NewDeepFool(attack.L2), func(lo, hi int) attack.Criterion { return attack.Misclassification{Labels: labels[lo:hi]} }, nil},
		{attack.NewBIM(), func(lo, hi int) attack.Criterion { return attack.Misclassification{Labels: labels[lo:hi]} }, []float64{0.1}},
	} {
		batch, err := tc.a.Run(m, images, tc.crit(0, n), tc.eps...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			alone, err := tc.a.Run(m, images[i*784:(i+1)*784], tc.crit(i, i+1), tc.eps...)
			if err != nil {
				t.Fatal(err)
			}
			if alone.Steps[0][0] != batch.Steps[0][i] || alone.Success[0][0] != batch.Success[0][i] {
				t.Fatalf("%s image %d: %d steps (%v) alone, %d steps (%v) in the batch", tc.a, i,
					alone.Steps[0][0], alone.Success[0][0], batch.Steps[0][i], batch.Success[0][i])
			}
			// Equal up to rounding: XLA blocks its sums by batch size.
			for p, v := range alone.Raw[0] {
				if math.Abs(float64(v-batch.Raw[0][i*784+p])) > 1e-3 {
					t.Fatalf("%s image %d value %d: %g alone, %g in the batch", tc.a, i, p, v, batch.Raw[0][i*784+p])
				}
			}
		}
	}
}

// TestChangedSettingsTakeEffect: an attack value compiles its step per
// model and graph settings, so a field changed after a run counts.
func TestChangedSettingsTakeEffect(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, _, targets := sample(t, 3)
	crit := attack.TargetedMisclassification{Targets: targets}
	a := attack.NewTargetedAscent()
	a.MaxSteps = 3
	maxAbs, err := a.Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	a.Scaling = attack.ScaleSign
	changed, err := a.Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	fresh := &attack.TargetedAscent{StepSize: attack.DefaultStepSize, MaxSteps: 3, Scaling: attack.ScaleSign}
	sign, err := fresh.Run(m, images, crit)
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y []float32) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(changed.Raw[0], sign.Raw[0]) || same(changed.Raw[0], maxAbs.Raw[0]) {
		t.Error("setting Scaling after a first Run did not change the attack")
	}
	pgd := attack.NewPGD(attack.Linf)
	pgd.NoRandomStart, pgd.Steps = true, 5
	if _, err := pgd.Run(m, images, attack.Misclassification{Labels: targets}, 0.1); err != nil {
		t.Fatal(err)
	}
	pgd.Distance = attack.L2
	res, err := pgd.Run(m, images, attack.Misclassification{Labels: targets}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if d := attack.L2.Measure(images[i*784:(i+1)*784], res.Raw[0][i*784:(i+1)*784]); d > 0.5+1e-5 {
			t.Errorf("PGD switched to L2 after a first run: image %d at L2 %g from its original, budget 0.5", i, d)
		}
	}
}

// TestStepIsTheArticlesRule compares one step with the article's rule
// computed from the Jacobian of the probabilities:
// x' = clip(x + ε g / scale(g), 0, 1), g the target class's slice.
func TestStepIsTheArticlesRule(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, _, targets := sample(t, 4)
	const eps = 0.05
	for _, scaling := range []attack.Scaling{attack.ScaleMaxAbs, attack.ScaleSign, attack.ScaleL2} {
		a := &attack.TargetedAscent{StepSize: eps, MaxSteps: 1, Scaling: scaling}
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
				case attack.ScaleMaxAbs:
					dir = float64(v) / maxAbs
				case attack.ScaleSign:
					dir = math.Copysign(1, float64(v))
					if v == 0 || math.Abs(float64(v)) < 1e-6*maxAbs {
						continue // The sign of a vanishing derivative is rounding noise.
					}
				case attack.ScaleL2:
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

func TestAscentTrajectoriesAndStepLimit(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, targets := sample(t, 6)
	res, err := attack.NewTargetedAscent().Run(m, images, attack.TargetedMisclassification{Targets: targets, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.N() {
		adv := res.Adversarial(0, i)
		source, target := adv.Trajectory.Of(adv.Source), adv.Trajectory.Of(adv.Target)
		if len(adv.Trajectory.Probabilities) != adv.Steps+1 {
			t.Errorf("image %d: trajectory of %d entries for %d steps", i, len(adv.Trajectory.Probabilities), adv.Steps)
		}
		if math.Abs(float64(source[0]-adv.SourceConfidence)) > 1e-6 {
			t.Errorf("image %d: trajectory starts at %g, the source's confidence is %g", i, source[0], adv.SourceConfidence)
		}
		if adv.Succeeded && math.Abs(float64(target[len(target)-1]-adv.Confidence)) > 1e-5 {
			t.Errorf("image %d: last target confidence %g, final confidence %g", i, target[len(target)-1], adv.Confidence)
		}
		// Each step moves a pixel by at most ε, so L∞ ≤ steps·ε.
		if adv.Linf > float64(adv.Steps)*attack.DefaultStepSize+1e-6 || adv.L2 < adv.Linf {
			t.Errorf("image %d: distances L2=%g L∞=%g after %d steps", i, adv.L2, adv.Linf, adv.Steps)
		}
	}
	short := &attack.TargetedAscent{StepSize: 1e-4, MaxSteps: 2}
	res, err = short.Run(m, images, attack.TargetedMisclassification{Targets: targets, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.N() {
		adv := res.Adversarial(0, i)
		if adv.Succeeded || adv.Steps != 2 || len(adv.Trajectory.Probabilities) != 3 {
			t.Errorf("image %d: Succeeded=%v Steps=%d trajectory %d: want a stop at the limit of 2 steps", i, adv.Succeeded, adv.Steps, len(adv.Trajectory.Probabilities))
		}
		if adv.Linf == 0 || adv.Linf > 2e-4+1e-7 {
			t.Errorf("image %d: moved by %g in 2 steps of 1e-4", i, adv.Linf)
		}
	}
}

// predictionsOnly hides a model's gradients: what a black-box caller has.
type predictionsOnly struct{ classifier.Predictor }

// badGeometry claims an input shape its graph cannot take.
type badGeometry struct{ classifier.Differentiable }

func (badGeometry) Geometry() classifier.Geometry {
	return classifier.Geometry{Rows: 14, Cols: 14, Channels: 1, Classes: 10}
}

func TestBadInputs(t *testing.T) {
	m := testutil.Trained(t)
	images, labels, targets := sample(t, 2)
	untargeted := attack.Misclassification{Labels: labels}
	outOfRange := append([]float32(nil), images...)
	outOfRange[100] = 1.5
	withNaN := append([]float32(nil), images...)
	withNaN[7] = float32(math.NaN())
	pgd := attack.NewPGD(attack.Linf)
	negativeSteps := attack.NewPGD(attack.Linf)
	negativeSteps.Steps = -1
	unknownNorm := attack.NewPGD(attack.Distance(7))
	for _, tc := range []struct {
		name     string
		a        attack.Attack
		m        classifier.Predictor
		images   []float32
		crit     attack.Criterion
		epsilons []float64
		want     string
	}{
		{"negative ε", pgd, m, images, untargeted, []float64{-0.1}, "ε -0.1 is not a budget"},
		{"NaN ε", pgd, m, images, untargeted, []float64{math.NaN()}, "ε NaN is not a budget"},
		{"infinite ε", pgd, m, images, untargeted, []float64{math.Inf(1)}, "ε +Inf is not a budget"},
		{"no ε", pgd, m, images, untargeted, nil, "give at least one ε"},
		{"negative steps", negativeSteps, m, images, untargeted, []float64{0.1}, "Steps is -1"},
		{"negative APGD steps", &attack.APGD{Steps: -2}, m, images, untargeted, []float64{0.1}, "Steps is -2"},
		{"negative DeepFool steps", &attack.DeepFool{Steps: -3}, m, images, untargeted, nil, "Steps is -3"},
		{"negative ascent steps", &attack.TargetedAscent{MaxSteps: -1}, m, images, attack.TargetedMisclassification{Targets: targets}, nil, "MaxSteps is -1"},
		{"negative restarts", &attack.PGD{Restarts: -1}, m, images, untargeted, []float64{0.1}, "Restarts is -1"},
		{"negative queries", &attack.Square{MaxQueries: -5}, m, images, untargeted, []float64{0.1}, "MaxQueries is -5"},
		{"negative bisections", &attack.MinimalEpsilon{Attack: pgd, Bisections: -1}, m, images, untargeted, nil, "Bisections is -1"},
		{"unknown norm", unknownNorm, m, images, untargeted, []float64{0.1}, "norm Distance(7) is not supported"},
		{"unknown APGD norm", attack.NewAPGD(attack.L0, attack.CrossEntropy), m, images, untargeted, []float64{0.1}, "norm L0 is not supported"},
		{"pixel above 1", pgd, m, outOfRange, untargeted, []float64{0.1}, "image 0, row 3, column 16 is 1.5"},
		{"NaN pixel", pgd, m, withNaN, untargeted, []float64{0.1}, "image 0, row 0, column 7 is NaN"},
		{"labels too few", pgd, m, images, attack.Misclassification{Labels: labels[:1]}, []float64{0.1}, "1 labels for 2 images"},
		{"targets too few", pgd, m, images, attack.TargetedMisclassification{Targets: targets[:1]}, []float64{0.1}, "1 target classes for 2 images"},
		{"target is the label", pgd, m, images, attack.TargetedMisclassification{Targets: []int{labels[0], targets[1]}, Labels: labels}, []float64{0.1}, "equals its true label"},
		{"label out of range", pgd, m, images, attack.Misclassification{Labels: []int{labels[0], 10}}, []float64{0.1}, "attack: label 10 of image 1 is not a class: use 0 to 9"},
		{"target out of range", pgd, m, images, attack.TargetedMisclassification{Targets: []int{10, targets[1]}}, []float64{0.1}, "attack: target class 10 of image 0 is not a class: use 0 to 9"},
		{"wrong image length", pgd, m, images[:700], untargeted, []float64{0.1}, "700 values"},
		{"shape the model does not take", pgd, badGeometry{m}, images[:196*2], untargeted, []float64{0.1}, "attack"},
		{"no gradients", pgd, predictionsOnly{m}, images, untargeted, []float64{0.1}, "needs gradients"},
		{"DeepFool targeted", attack.NewDeepFool(attack.L2), m, images, attack.TargetedMisclassification{Targets: targets}, nil, "DeepFool is untargeted"},
		{"FAB L1", &attack.FAB{Distance: attack.L1}, m, images, untargeted, nil, "norm L1 is not supported"},
		{"FAB targets", &attack.FAB{Targets: 10}, m, images, untargeted, nil, "Targets is 10"},
		{"FAB targets and a target", &attack.FAB{Targets: 2}, m, images, attack.TargetedMisclassification{Targets: targets, Labels: labels}, nil, "set Targets to 0"},
		{"FAB eta", &attack.FAB{Eta: 0.5}, m, images, untargeted, nil, "Eta is 0.5"},
		{"FAB beta", &attack.FAB{Beta: 1.5}, m, images, untargeted, nil, "Beta is 1.5"},
		{"DLR targeted", attack.NewAPGD(attack.Linf, attack.DLR), m, images, attack.TargetedMisclassification{Targets: targets}, []float64{0.1}, "DLR loss is untargeted"},
		{"no criterion", pgd, m, images, nil, []float64{0.1}, "criterion is nil"},
		{"no attack to search", &attack.MinimalEpsilon{Bisections: 3}, m, images, untargeted, nil, "has no Attack"},
	} {
		_, err := tc.a.Run(tc.m, tc.images, tc.crit, tc.epsilons...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: got %v, want a one-line error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestDistances(t *testing.T) {
	reference := []float32{0, 0.5, 1, 0.2}
	perturbed := []float32{0.3, 0.1, 1, 0.2} // Changes +0.3, −0.4, 0, 0.
	for _, tc := range []struct {
		d    attack.Distance
		want float64
	}{{attack.L0, 2}, {attack.L1, 0.7}, {attack.L2, 0.5}, {attack.Linf, 0.4}} {
		if got := tc.d.Measure(reference, perturbed); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%v = %g, want %g", tc.d, got, tc.want)
		}
		// Within the budget: unchanged. Beyond: brought to the budget.
		if got := tc.d.Clip(reference, perturbed, tc.want+0.1); &got[0] != &perturbed[0] {
			t.Errorf("%v: a perturbation within its budget was copied", tc.d)
		}
		budget := tc.want / 2
		clipped := tc.d.Clip(reference, perturbed, budget)
		if got := tc.d.Measure(reference, clipped); got > budget+1e-6 || got < budget-0.2 {
			t.Errorf("%v clipped to %g measures %g", tc.d, budget, got)
		}
	}
	if got := attack.Linf.Clip(reference, perturbed, 0.1); math.Abs(float64(got[0])-0.1) > 1e-6 || math.Abs(float64(got[1])-0.4) > 1e-6 {
		t.Errorf("L∞ clip to 0.1: %v", got)
	}
	if got := attack.L0.Clip(reference, perturbed, 1); got[0] != 0 || got[1] != 0.1 {
		t.Errorf("L0 clip to 1 keeps the largest change only: %v", got)
	}
	if got := attack.L2.Clip(reference, perturbed, 0.25); math.Abs(float64(got[0])-0.15) > 1e-6 || math.Abs(float64(got[1])-0.3) > 1e-6 {
		t.Errorf("L2 clip to half the norm halves the changes: %v", got)
	}
}

func TestGeometryIsMNISTs(t *testing.T) {
	if g := testutil.Trained(t).Geometry(); g != mnist.Geometry || g.Pixels() != mnist.Pixels {
		t.Errorf("the CNN's geometry %v is not MNIST's %v", g, mnist.Geometry)
	}
}

// TestZeroValuesRunWithDefaults runs every attack built as a bare literal,
// with only the fields that no default can stand for (MinimalEpsilon's
// attack): it runs, its result is sound, and it names the same settings as
// its constructor, whose doc states the defaults. One digit shows that a
// bare literal runs; the defaults' full cost is paid per image
// (Carlini-Wagner's 9×10,000 steps take 24,000 steps and 45 s on one digit,
// twice that on two).
func TestZeroValuesRunWithDefaults(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels, targets := sample(t, 1)
	untargeted := attack.Misclassification{Labels: labels}
	targeted := attack.TargetedMisclassification{Targets: targets, Labels: labels}
	for _, c := range []struct {
		bare, constructed attack.Attack
		crit              attack.Criterion
		eps               []float64
	}{
		{&attack.FGM{}, attack.NewFGSM(), untargeted, []float64{0.1}},
		{&attack.BIM{}, attack.NewBIM(), untargeted, []float64{0.1}},
		{&attack.PGD{}, attack.NewPGD(attack.Linf), untargeted, []float64{0.1}},
		{&attack.MIFGSM{}, attack.NewMIFGSM(), untargeted, []float64{0.1}},
		{&attack.APGD{}, attack.NewAPGD(attack.Linf, attack.CrossEntropy), untargeted, []float64{0.1}},
		{&attack.Square{}, attack.NewSquare(attack.Linf), untargeted, []float64{0.3}},
		{&attack.DeepFool{}, attack.NewDeepFool(attack.L2), untargeted, nil},
		{&attack.CarliniWagner{}, attack.NewCarliniWagner(), untargeted, nil},
		{&attack.JSMA{}, attack.NewJSMA(), untargeted, nil},
		{&attack.MinimalEpsilon{Attack: &attack.FGM{}}, attack.NewMinimalEpsilon(attack.NewFGSM()), untargeted, nil},
		{&attack.TargetedAscent{}, attack.NewTargetedAscent(), targeted, nil},
		{&attack.SimBA{}, attack.NewSimBA(attack.PixelBasis), untargeted, nil},
		{&attack.HopSkipJump{}, attack.NewHopSkipJump(attack.L2), untargeted, nil},
		{&attack.FAB{}, attack.NewFAB(attack.Linf), untargeted, nil},
	} {
		if c.bare.String() != c.constructed.String() || c.bare.Norm() != c.constructed.Norm() {
			t.Errorf("%T{}: %q in %v, its constructor %q in %v", c.bare, c.bare, c.bare.Norm(), c.constructed, c.constructed.Norm())
		}
		res, err := c.bare.Run(m, images, c.crit, c.eps...)
		if err != nil {
			t.Errorf("%T{}: %v", c.bare, err)
			continue
		}
		checkResult(t, m, res, c.crit, c.eps != nil)
	}
	// The defaults are the documented ones.
	pgd, pgdL2 := attack.PGD{}.WithDefaults(), attack.PGD{Distance: attack.L2}.WithDefaults()
	if pgd.Distance != attack.Linf || pgd.Steps != 40 || pgd.RelStepSize != 0.01/0.3 || pgd.Restarts != 1 || pgd.NoRandomStart ||
		pgdL2.Steps != 50 || pgdL2.RelStepSize != 0.025 {
		t.Errorf("PGD's defaults: %+v and in L2 %+v", pgd, pgdL2)
	}
	if cw := (attack.CarliniWagner{}).WithDefaults(); cw.BinarySearchSteps != 9 || cw.Steps != 10000 || cw.StepSize != 0.01 || cw.InitialConst != 0.001 || cw.NoAbortEarly {
		t.Errorf("Carlini-Wagner's defaults: %+v", cw)
	}
	if h := (attack.HopSkipJump{}).WithDefaults(); h.Distance != attack.L2 || h.MaxQueries != 5000 || h.InitialGradientQueries != 100 ||
		h.MaxGradientQueries != 10000 || h.Gamma != 1 || h.InitTries != 100 || h.Steps != 0 {
		t.Errorf("HopSkipJump's defaults: %+v", h)
	}
}
