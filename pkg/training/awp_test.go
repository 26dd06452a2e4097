package training_test

import (
	"math"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// TestAWPStepsFromTheUnperturbedWeights checks adversarial weight
// perturbation on one training step, PGD's and TRADES' (each builds its own
// perturbation): the step's loss is measured at the perturbed weights (so
// it is higher than the same step's without AWP, from the same weights and
// the same attack), and the update lands on the weights the step began
// from (each weight moves by at most Adam's learning rate, where the
// perturbation alone moves some by several times it).
func TestAWPStepsFromTheUnperturbedWeights(t *testing.T) {
	data := testutil.MNIST(t)
	const batch, gamma = 64, 0.1
	oneBatch := data.Train.Head(batch)
	for _, adversary := range []training.Adversary{training.PGDTraining(0.1), training.TRADESTraining(0.1)} {
		t.Run(adversary.Mode, func(t *testing.T) {
			// step runs one training step (an epoch of one batch) of m
			// with AWP's γ (0: none) and returns the step's loss.
			step := func(m *cnn.Model, awp float64) float64 {
				t.Helper()
				opts := options(1, 1)
				opts.BatchSize = batch
				opts.Adversary = adversary
				opts.Adversary.Steps, opts.Adversary.StepSize, opts.Adversary.AWP = 3, 0.04, awp
				s, err := training.NewSession(m, oneBatch, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				e, err := s.Epoch()
				if err != nil {
					t.Fatal(err)
				}
				return e.Loss
			}
			// Two models with the same weights, past their first step (a
			// model draws its weights in its first step).
			started := func() *cnn.Model {
				m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
				if err != nil {
					t.Fatal(err)
				}
				step(m, 0)
				return m
			}
			plain, perturbed := started(), started()
			before := trainableWeights(t, perturbed)
			requireSameWeights(t, "the two models before the step", trainableWeights(t, plain), before)

			lossPlain, lossAWP := step(plain, 0), step(perturbed, gamma)
			t.Logf("the step's loss: %.5f without AWP, %.5f with γ %g", lossPlain, lossAWP, gamma)
			if !(lossAWP > lossPlain) {
				t.Errorf("the step's loss with AWP (γ %g) is %.5f, not above %.5f without: the loss was not taken at the perturbed weights", gamma, lossAWP, lossPlain)
			}
			lr := options(1, 1).LearningRate
			var moved float64
			for path, w := range trainableWeights(t, perturbed) {
				for i := range w {
					moved = math.Max(moved, math.Abs(float64(w[i]-before[path][i])))
				}
			}
			if moved > 1.01*lr {
				t.Errorf("a weight moved by %.5f in one Adam step of rate %g: the perturbation was not undone after the update", moved, lr)
			}
			if moved == 0 {
				t.Error("no weight moved in the step")
			}
		})
	}
}
