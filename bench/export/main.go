// Command export writes what bench/reference.py needs to attack the very same
// network in TensorFlow: the configuration, the trained weights, where the
// MNIST files are, the attack's settings, and the (image, target) pairs with
// the number of steps the Go attack took on each; and the settings of the
// attack-suite timings that bench/foolbox_reference.py --speed runs, and
// of the imported model's that bench/torch_reference.py --speed runs.
//
//	go run ./bench/export -checkpoint checkpoints/cnn -out out/bench/export.json
package main

import (
	"flag"
	"log"

	"github.com/advmlgo/advml/bench"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

func main() {
	checkpointDir := flag.String("checkpoint", "checkpoints/cnn", "the trained model (trained here if absent)")
	out := flag.String("out", "out/bench/export.json", "output JSON")
	pairs := flag.Int("pairs", 20, "pairs for the one-pair attack loop")
	flag.Parse()
	log.SetFlags(0)
	b, err := backend.New()
	if err != nil {
		log.Fatal(err)
	}
	data, err := mnist.Load(mnist.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	trained, err := training.LoadOrTrain(b, *checkpointDir, data, cnn.Default, training.DefaultOptions(), false)
	if err != nil {
		log.Fatal(err)
	}
	m := trained.Model
	model, err := bench.ExportModel(m)
	if err != nil {
		log.Fatal(err)
	}
	indices, targets := experiment.PairIndices(data.Test, *pairs, 1)
	a := attack.NewTargetedAscent()
	run := a.WithDefaults() // The settings as they run: the reference repeats them.
	steps := make([]int, len(indices))
	for i, idx := range indices {
		adv, err := a.Attack(m, data.Test.Image(idx), targets[i])
		if err != nil {
			log.Fatal(err)
		}
		steps[i] = adv.Steps
	}
	imported, err := bench.ImportedSettings(".")
	if err != nil {
		log.Fatal(err)
	}
	doc := struct {
		*bench.ModelExport
		BatchSize int            `json:"batch_size"`
		StepSize  float64        `json:"step_size"`
		MaxSteps  int            `json:"max_steps"`
		Pairs     map[string]any `json:"pairs"`
		Speed     map[string]any `json:"speed"`    // For foolbox_reference.py --speed.
		AdvTrain  map[string]any `json:"advtrain"` // For reference.py's adversarial-training epoch.
		Imported  map[string]any `json:"imported"` // For torch_reference.py --speed.
	}{model, training.DefaultOptions().BatchSize, run.StepSize, run.MaxSteps,
		map[string]any{"indices": indices, "targets": targets, "steps": steps}, bench.SpeedSettings(), bench.AdvTrainSettings(), imported}
	if err := bench.WriteJSON(*out, doc); err != nil {
		log.Fatal(err)
	}
}
