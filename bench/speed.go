package bench

import (
	"fmt"
	"os"
	"strconv"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/training"
)

// The attack-suite workloads `make bench` times on both sides, ours
// (bench_test.go) and Foolbox 3.3.4 on TensorFlow (foolbox_reference.py
// --speed, which reads them from the export): each attack with Foolbox's
// defaults on the first test images.
const (
	PGDImages      = 10000 // PGD-40 L∞ at PGDEpsilon, random start, steps of ε/30.
	PGDEpsilon     = 0.3
	DeepFoolImages = 1000 // DeepFool L2: 50 steps, 10 candidates, overshoot 0.02.
	CWImages       = 50   // Carlini-Wagner L2 with SpeedCW's settings.
)

// SpeedPGD is Foolbox's LinfPGD: 40 steps of 0.01/0.3·ε from a random start.
func SpeedPGD() *attack.PGD { return attack.NewPGD(attack.Linf) }

// SpeedDeepFool is Foolbox's L2DeepFoolAttack.
func SpeedDeepFool() *attack.DeepFool { return attack.NewDeepFool(attack.L2) }

// SpeedCW is Carlini-Wagner L2 with 6 binary-search steps of up to 1,000
// Adam steps of 0.01 from c = 0.01, as make crosscheck runs it (Foolbox's
// default of 10,000 steps would take it hours in eager mode).
func SpeedCW() *attack.CarliniWagner {
	return &attack.CarliniWagner{BinarySearchSteps: 6, Steps: 1000, InitialConst: 0.01}
}

// SpeedSettings is what foolbox_reference.py --speed reads from the export.
func SpeedSettings() map[string]any {
	// The settings as they run: zero fields mean the attacks' defaults.
	pgd, deepFool, cw := SpeedPGD().WithDefaults(), SpeedDeepFool().WithDefaults(), SpeedCW().WithDefaults()
	return map[string]any{
		"pgd": map[string]any{"n": PGDImages, "epsilon": PGDEpsilon, "steps": pgd.Steps, "rel_stepsize": pgd.RelStepSize, "random_start": !pgd.NoRandomStart},
		"deepfool": map[string]any{"n": DeepFoolImages, "steps": deepFool.Steps, "candidates": deepFool.Candidates,
			"overshoot": deepFool.Overshoot},
		"cw": map[string]any{"n": CWImages, "binary_search_steps": cw.BinarySearchSteps, "steps": cw.Steps, "stepsize": cw.StepSize,
			"confidence": cw.Confidence, "initial_const": cw.InitialConst},
	}
}

// The adversarial-training workload `make bench` times on both sides
// (BenchmarkAdvTrainEpoch; reference.py's advtrain_epoch, which reads it
// from the export): one epoch of cnn.Robust against PGD with
// training.RobustOptions()' attack and optimizer at the full ε (the warm-up
// changes ε, not the work), over the first AdvTrainBatches full batches of
// the 60,000 training images (59,968 images: no partial batch, so neither
// side compiles a second shape inside the timed epoch).
const AdvTrainBatches = 937

// AdvTrainOptions are training.RobustOptions() without the warm-up.
func AdvTrainOptions() training.Options {
	o := training.RobustOptions()
	o.Adversary.WarmupEpochs = 0
	return o
}

// EnvDevices names the environment variable that sets the training
// benchmarks' training.Options.Devices (unset: one device), so that `make
// bench` and `make profile` time the data-parallel option beside the
// default. The engine's routing has its own variable, GOMLX_BACKEND
// (backend.OptionOneDNN).
const EnvDevices = "BENCH_DEVICES"

// Devices reads EnvDevices: 0 when it is unset.
func Devices() (int, error) {
	v := os.Getenv(EnvDevices)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: use a number of devices (1 or more), or unset it for one", EnvDevices, v)
	}
	return n, nil
}

// AdvTrainSettings is what reference.py reads from the export.
func AdvTrainSettings() map[string]any {
	o := AdvTrainOptions()
	c := cnn.Robust
	return map[string]any{
		"config": map[string]any{"filters": c.Filters, "kernel": c.Kernel, "pool": c.Pool, "filters2": c.Filters2, "hidden": c.Hidden},
		"mode":   o.Adversary.Mode, "epsilon": o.Adversary.Epsilon, "steps": o.Adversary.Steps, "step_size": o.Adversary.StepSize,
		"batch_size": o.BatchSize, "learning_rate": o.LearningRate, "batches": AdvTrainBatches,
	}
}
