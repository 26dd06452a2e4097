// Command reproduce runs the article end to end, headless: it trains the CNN
// (or loads the checkpoint a previous run saved), evaluates it, attacks
// random (test image, target) pairs, writes the figures as PNG files, and
// prints one JSON summary as its last line on stdout. Progress goes to
// stderr.
//
//	go run ./cmd/reproduce                 # what `make reproduce` runs
//	go run ./cmd/reproduce -load           # reuse checkpoints/cnn
//	go run ./cmd/reproduce -pairs 1000 -out /tmp/figures
//	go run ./cmd/reproduce -data fashion   # the same on Fashion-MNIST (checkpoints/cnn-fashion, out-fashion)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

func main() {
	var (
		checkpointDir = flag.String("checkpoint", "checkpoints/cnn", "folder of the model's checkpoint")
		load          = flag.Bool("load", false, "load the checkpoint instead of training (it must exist)")
		outDir        = flag.String("out", "out", "folder for the PNG figures")
		pairs         = flag.Int("pairs", 100, "random (test image, target) pairs to attack")
		seed          = flag.Int64("seed", 1, "seed of the weights, the shuffling, the validation split and the pairs")
		stepSize      = flag.Float64("step", attack.DefaultStepSize, "ε of the ascent step")
		maxSteps      = flag.Int("max-steps", attack.DefaultMaxSteps, "step limit per pair")
		data          mnist.Dataset
	)
	flag.Var(&data, "data", "the data set: mnist or fashion (Fashion-MNIST; the default -checkpoint and -out get -fashion appended)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["checkpoint"] {
		*checkpointDir = data.Folder(*checkpointDir)
	}
	if !set["out"] {
		*outDir = data.Folder(*outDir)
	}
	log.SetFlags(0)
	log.SetPrefix("reproduce: ")
	if err := run(data, *checkpointDir, *load, *outDir, *pairs, *seed, *stepSize, *maxSteps); err != nil {
		log.Fatal(err)
	}
}

func run(dataset mnist.Dataset, checkpointDir string, load bool, outDir string, numPairs int, seed int64, stepSize float64, maxSteps int) error {
	b, err := backend.New()
	if err != nil {
		return err
	}
	log.Printf("engine: %s", b.Description())
	data, err := mnist.Load(mnist.Options{Dataset: dataset, Seed: seed})
	if err != nil {
		return err
	}
	log.Printf("%s from %s: %d train, %d validation, %d test", dataset.Title(), data.Source, data.Train.Len(), data.Validation.Len(), data.Test.Len())

	if load && !cnn.Exists(checkpointDir) {
		return fmt.Errorf("-load: no checkpoint in %s: run without -load to train one", checkpointDir)
	}
	start := time.Now()
	opts := training.DefaultOptions()
	opts.Seed, opts.Log, opts.ProgressBar = seed, os.Stderr, isTerminal(os.Stdout)
	trained, err := training.LoadOrTrain(b, checkpointDir, data, cnn.Default, opts, !load)
	if err != nil {
		return err
	}
	trainSeconds := time.Since(start).Seconds()
	if trained.Loaded {
		trainSeconds = 0
		log.Printf("loaded the model from %s", checkpointDir)
	} else {
		log.Printf("trained in %.1fs, saved in %s", trainSeconds, checkpointDir)
	}
	m := trained.Model
	log.Printf("model:\n%s", m.Summary())
	_, testAcc, err := m.Evaluate(data.Test.Images, data.Test.Labels)
	if err != nil {
		return err
	}

	start = time.Now()
	images, crit := experiment.RandomPairs(data.Test, numPairs, seed)
	a := &attack.TargetedAscent{StepSize: stepSize, MaxSteps: maxSteps}
	res, err := a.Run(m, images, crit)
	if err != nil {
		return err
	}
	attackSeconds := time.Since(start).Seconds()
	stats := experiment.Summarize(res)
	log.Printf("attacked %d pairs in %.1fs: %.0f%% succeeded", numPairs, attackSeconds, 100*stats.SuccessRate)

	files, err := experiment.WriteFigures(outDir, data.Test, trained.History, res)
	if err != nil {
		return err
	}
	for _, f := range files {
		log.Printf("wrote %s", f)
	}

	summary := Summary{
		Data:          dataset.String(),
		Backend:       backend.Label(b),
		Params:        m.NumParams(),
		Epochs:        len(trained.History.Epochs),
		EarlyStopped:  trained.History.EarlyStopped,
		ValAccuracy:   round(trained.History.Kept().ValAccuracy),
		TestAccuracy:  round(testAcc),
		Attack:        stats,
		Seconds:       Seconds{Train: round(trainSeconds), Attack: round(attackSeconds)},
		LoadedModel:   trained.Loaded,
		CheckpointDir: checkpointDir,
	}
	line, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

// Summary is the JSON line the command prints last, in the order.
// With -load, Epochs and EarlyStopped describe the training that produced
// the checkpoint (from its saved history), and Seconds.Train is 0.
type Summary struct {
	Data          string           `json:"data"`
	Backend       string           `json:"backend"`
	Params        int              `json:"params"`
	Epochs        int              `json:"epochs"`
	EarlyStopped  bool             `json:"early_stopped"`
	ValAccuracy   float64          `json:"val_accuracy"`
	TestAccuracy  float64          `json:"test_accuracy"`
	Attack        experiment.Stats `json:"attack"`
	Seconds       Seconds          `json:"seconds"`
	LoadedModel   bool             `json:"loaded_model"`
	CheckpointDir string           `json:"checkpoint_dir"`
}

// Seconds are wall times: training (0 when loaded) and the whole attack.
type Seconds struct {
	Train  float64 `json:"train"`
	Attack float64 `json:"attack"`
}

func round(x float64) float64 { return float64(int64(x*1e4+0.5)) / 1e4 }

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
