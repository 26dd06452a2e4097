package bench

import (
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/jacobian"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// TestSmoke runs every benchmark's workload once, at a tiny size, on the
// test model: it keeps the benchmark code compiling and working without
// timing anything.
func TestSmoke(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	data := testutil.MNIST(t)

	fresh, err := cnn.New(m.Backend(), cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	small := data.Train.Subset([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})
	opts := training.DefaultOptions()
	opts.BatchSize = 8
	s, err := training.NewSession(fresh, small, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Steps(2); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Epoch(); err != nil || e.Seconds <= 0 {
		t.Fatalf("epoch: %+v %v", e, err)
	}
	s.Close()

	// The adversarial-training epoch's workload (BenchmarkAdvTrainEpoch).
	robust, err := cnn.New(m.Backend(), cnn.Robust, 1)
	if err != nil {
		t.Fatal(err)
	}
	advOpts := AdvTrainOptions()
	advOpts.BatchSize = 8
	if advOpts.Adversary.Mode != training.ModePGD || advOpts.Adversary.WarmupEpochs != 0 {
		t.Errorf("AdvTrainOptions: %v, want RobustOptions' PGD without warm-up", advOpts.Adversary)
	}
	adv, err := training.NewSession(robust, small, advOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := adv.Steps(2); err != nil {
		t.Fatal(err)
	}
	adv.Close()

	if _, err := jacobian.Compute(m, data.Test.Images[:2*mnist.Pixels], jacobian.Probabilities); err != nil {
		t.Fatal(err)
	}
	images, crit := experiment.RandomPairs(data.Test, 3, 1)
	a := attack.NewTargetedAscent()
	a.MaxSteps = 5
	if _, err := a.Step(m, images, crit.Targets); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Attack(m, images[:mnist.Pixels], crit.Targets[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(m, images, crit); err != nil {
		t.Fatal(err)
	}
	if f := TrainingFLOPsPerImage(cnn.Default); f < 1e6 || f > 1e7 {
		t.Errorf("TrainingFLOPsPerImage = %g, expected about 1.8 million", f)
	}
}
