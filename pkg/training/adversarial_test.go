package training_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// robustAccuracy is the accuracy of m on the first n validation images
// under PGD-10 (steps of ε/4) at eps.
func robustAccuracy(t *testing.T, m *cnn.Model, n int, eps float64) float64 {
	t.Helper()
	val := testutil.MNIST(t).Validation
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps, pgd.RelStepSize = 10, 0.25
	res, err := pgd.Run(m, val.Images[:n*784], attack.Misclassification{Labels: val.Labels[:n]}, eps)
	if err != nil {
		t.Fatal(err)
	}
	return 1 - res.SuccessRate(0)
}

func TestAdversarialTrainingResistsTheAttack(t *testing.T) {
	testutil.Slow(t)
	data := testutil.MNIST(t)
	train, val := data.Train.Head(4000), data.Validation.Head(500)
	const eps = 0.2
	trades := training.TRADESTraining(eps)
	trades.Steps, trades.StepSize = 5, eps/4
	adversaries := []training.Adversary{{}, training.FastFGSMTraining(eps), trades}
	robust := make([]float64, len(adversaries))
	for k, adversary := range adversaries {
		m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
		if err != nil {
			t.Fatal(err)
		}
		opts := options(3, 1)
		if adversary.Active() {
			opts.Adversary = adversary
			opts.Adversary.ValidationImages = 300
			opts.Patience = 10
		}
		h, err := training.Train(m, train, val, opts)
		if err != nil {
			t.Fatal(err)
		}
		robust[k] = robustAccuracy(t, m, 300, eps)
		if !adversary.Active() {
			continue
		}
		// The history holds the robust validation accuracy, and the kept
		// weights are those of the epoch where it was highest.
		epochs, values, err := h.Series("val_robust_accuracy")
		if err != nil || len(epochs) != 3 {
			t.Fatalf("val_robust_accuracy series %v %v, %v", epochs, values, err)
		}
		best := 0
		for i, v := range values {
			if v != h.Epochs[i].ValRobustAccuracy || !h.Epochs[i].Robust {
				t.Errorf("epoch %d: robust accuracy %g (measured: %v)", i+1, v, h.Epochs[i].Robust)
			}
			if v > values[best] {
				best = i
			}
		}
		if h.BestEpoch != best+1 || h.WeightsEpoch != best+1 {
			t.Errorf("robust accuracies %v: best epoch %d, weights of epoch %d, want %d", values, h.BestEpoch, h.WeightsEpoch, best+1)
		}
		if h.Adversary != opts.Adversary || !strings.Contains(h.Epochs[0].String(), "val_robust_accuracy") {
			t.Errorf("history's adversary %+v, epoch line %q", h.Adversary, h.Epochs[0])
		}
	}
	t.Logf("robust accuracy at ε=%g under PGD-10: %.3f trained clean, %.3f against fast FGSM, %.3f with TRADES", eps, robust[0], robust[1], robust[2])
	for k, name := range []string{"fast FGSM", "TRADES"} {
		if robust[k+1] < robust[0]+0.15 {
			t.Errorf("%s training raised the robust accuracy at ε=%g only from %.3f to %.3f", name, eps, robust[0], robust[k+1])
		}
	}
}

func TestCleanHistoryHasNoRobustAccuracy(t *testing.T) {
	h := &training.History{Epochs: []training.EpochMetrics{{Epoch: 1}}}
	if _, _, err := h.Series("val_robust_accuracy"); err == nil || !strings.Contains(err.Error(), "not trained with an Adversary") {
		t.Errorf("error %v", err)
	}
	if s := h.Epochs[0].String(); strings.Contains(s, "robust") {
		t.Errorf("a clean epoch's line mentions robustness: %q", s)
	}
}

func TestBadAdversary(t *testing.T) {
	data := testutil.MNIST(t)
	m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
	if err != nil {
		t.Fatal(err)
	}
	pgd := training.PGDTraining(0.3)
	for _, tc := range []struct {
		change func(*training.Adversary)
		want   string
	}{
		{func(a *training.Adversary) { a.Mode = "mart" }, `unknown adversarial Mode "mart"`},
		{func(a *training.Adversary) { a.Beta = 6 }, "Beta (6) weighs TRADES' term"},
		{func(a *training.Adversary) { *a = training.TRADESTraining(0.3); a.Beta = 0 }, "TRADES' Beta is 0"},
		{func(a *training.Adversary) { a.Epsilon = 0 }, "Epsilon is 0"},
		{func(a *training.Adversary) { a.Epsilon = 1.5 }, "Epsilon is 1.5"},
		{func(a *training.Adversary) { a.Steps = 0 }, "0 Steps"},
		{func(a *training.Adversary) { a.StepSize = -1 }, "StepSize is -1"},
		{func(a *training.Adversary) { a.ValidationImages = 0 }, "ValidationImages is 0"},
		{func(a *training.Adversary) { a.WarmupEpochs = -2 }, "WarmupEpochs is -2"},
		{func(a *training.Adversary) { a.WarmupEpochs = 1 }, "warm-up epochs leave none of the 1 MaxEpochs"},
		{func(a *training.Adversary) { *a = training.FastFGSMTraining(0.3); a.Steps = 5 }, "fast FGSM takes one step"},
		{func(a *training.Adversary) { *a = training.Adversary{Epsilon: 0.3} }, "no Mode"},
		{func(a *training.Adversary) { a.Fraction = 1.5 }, "Fraction is 1.5"},
		{func(a *training.Adversary) { *a = training.TRADESTraining(0.3); a.Fraction = 0.5 }, "Fraction (0.5) attacks part of each batch, which TRADES does not do"},
		{func(a *training.Adversary) { a.AWP = -0.005 }, "AWP is -0.005"},
		{func(a *training.Adversary) { *a = training.IBPTraining(0.3); a.AWP = 0.005 }, "IBP runs no attack"},
	} {
		opts := options(1, 1)
		opts.Adversary = pgd
		tc.change(&opts.Adversary)
		_, err := training.Train(m, data.Train.Head(100), data.Validation.Head(100), opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: want a one-line error with %q, got %v", opts.Adversary, tc.want, err)
		}
	}
}
