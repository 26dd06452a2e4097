// Command export writes what bench/reference.py needs to attack the very same
// network in TensorFlow: the configuration, the trained weights, where the
// MNIST files are, the attack's settings, and the (image, target) pairs with
// the number of steps the Go attack took on each.
//
//	go run ./bench/export -checkpoint checkpoints/cnn -out out/bench/export.json
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

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
	weights := map[string][]float32{}
	for v := range m.Store().Scope("/" + cnn.ScopeName).IterVariables() {
		value, err := v.Value()
		if err != nil {
			log.Fatal(err)
		}
		layer := "conv"
		if strings.Contains(v.Path(), "/dense/") {
			layer = "dense"
		}
		kind := "kernel"
		if strings.HasSuffix(v.Path(), "biases") {
			kind = "bias"
		}
		weights[layer+"_"+kind] = tensors.MustCopyFlatData[float32](value)
	}
	indices, targets := experiment.PairIndices(data.Test, *pairs, 1)
	a := attack.NewTargetedAscent()
	steps := make([]int, len(indices))
	for i, idx := range indices {
		adv, err := a.Attack(m, data.Test.Image(idx), targets[i])
		if err != nil {
			log.Fatal(err)
		}
		steps[i] = adv.Steps
	}
	mnistDir, err := mnist.GoMNISTDir()
	if err != nil {
		log.Fatal(err)
	}
	doc := map[string]any{
		"config":     map[string]int{"filters": m.Config.Filters, "kernel": m.Config.Kernel, "pool": m.Config.Pool},
		"batch_size": training.DefaultOptions().BatchSize,
		"weights":    weights,
		"mnist_dir":  mnistDir,
		"step_size":  attack.DefaultStepSize,
		"max_steps":  attack.DefaultMaxSteps,
		"pairs":      map[string]any{"indices": indices, "targets": targets, "steps": steps},
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.NewEncoder(f).Encode(doc); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
