// Command curve trains cnn.Robust against an attack epoch by epoch, as
// make robust does (training.RobustOptions: Adam 0.001, batch 64, seed 1, 5
// warm-up epochs at ε = 0.3) but with no early stopping, and after every
// epoch saves the weights (-out/latest, and -out/best for the best robust
// validation after the warm-up) and prints one JSON line: the training
// curve, robust validation accuracy (PGD-20 of 2.5ε/20 on the first 1,000
// validation images) and seconds per epoch. A run that is stopped keeps
// what it has measured.
//
//	go run ./bench/curve -mode trades -steps 10 -epochs 30 -out out/curve/trades
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

func main() {
	mode := flag.String("mode", training.ModeTRADES, "attack trained against: pgd or trades")
	epochs := flag.Int("epochs", 30, "epochs")
	steps := flag.Int("steps", 10, "attack steps per batch, each of 2.5ε/steps")
	out := flag.String("out", "out/curve", "folder of the saved weights")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("curve: ")
	if err := run(*mode, *epochs, *steps, *out); err != nil {
		log.Fatal(err)
	}
}

func run(mode string, epochs, steps int, out string) error {
	const eps = 0.3
	if mode != training.ModePGD && mode != training.ModeTRADES {
		return fmt.Errorf("-mode %q: use %s or %s", mode, training.ModePGD, training.ModeTRADES)
	}
	if epochs < 1 || steps < 1 {
		return fmt.Errorf("-epochs %d, -steps %d: use at least 1 of each", epochs, steps)
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	log.Printf("engine %s; CPU %s", b.Description(), backend.CPU())
	data, err := mnist.Load(mnist.Options{Seed: 1})
	if err != nil {
		return err
	}
	opts := training.RobustOptions()
	opts.MaxEpochs = max(epochs, opts.Adversary.WarmupEpochs+1)
	if mode == training.ModeTRADES {
		trades := training.TRADESTraining(eps)
		trades.WarmupEpochs = opts.Adversary.WarmupEpochs
		opts.Adversary = trades
	}
	opts.Adversary.Steps, opts.Adversary.StepSize = steps, 2.5*eps/float64(steps)
	log.Printf("cnn.Robust against %v", opts.Adversary)
	m, err := cnn.New(b, cnn.Robust, opts.Seed)
	if err != nil {
		return err
	}
	s, err := training.NewSession(m, data.Train, opts)
	if err != nil {
		return err
	}
	defer s.Close()
	const n = 1000
	images, labels := data.Validation.Images[:n*mnist.Pixels], data.Validation.Labels[:n]
	best := -1.0
	for e := 1; e <= epochs; e++ {
		metrics, err := s.Epoch()
		if err != nil {
			return err
		}
		start := time.Now()
		_, clean, err := m.Evaluate(data.Validation.Images, data.Validation.Labels)
		if err != nil {
			return err
		}
		pgd := &attack.PGD{Steps: 20, StepSize: 2.5 * eps / 20, Seed: opts.Seed}
		r, err := pgd.Run(m, images, attack.Misclassification{Labels: labels}, eps)
		if err != nil {
			return err
		}
		robust := 1 - r.SuccessRate(0)
		if err := m.Save(out + "/latest"); err != nil {
			return err
		}
		if e > opts.Adversary.WarmupEpochs && robust > best {
			best = robust
			if err := m.Save(out + "/best"); err != nil {
				return err
			}
		}
		line, err := json.Marshal(map[string]any{"epoch": e, "train_loss": metrics.Loss, "train_accuracy": metrics.Accuracy,
			"train_seconds": metrics.Seconds, "val_accuracy": clean, "val_robust_pgd20_1000": robust, "val_seconds": time.Since(start).Seconds()})
		if err != nil {
			return err
		}
		fmt.Println(string(line))
	}
	return nil
}
