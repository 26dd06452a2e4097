// Command sweep trains the article's CNN for several (filters, kernel, pool)
// configurations between 8,000 and 12,000 trainable parameters and prints
// each one's validation and test accuracy: the measurement behind
// cnn.Default. Every configuration is trained the way `make reproduce`
// trains (training.DefaultOptions, the same seeds).
//
//	go run ./cmd/sweep            # the configurations listed below
//	go run ./cmd/sweep -seeds 3   # 3 seeds per configuration
//	go run ./cmd/sweep -only 30/5/4,22/7/3
package main

import (
	"flag"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// candidates span kernel 3 to 7 and pool 2 to 5, each with the largest
// filter count (or a near one) that keeps the model within 8k..12k parameters.
var candidates = []cnn.Config{
	{Filters: 6, Kernel: 3, Pool: 2},
	{Filters: 7, Kernel: 3, Pool: 2},
	{Filters: 16, Kernel: 3, Pool: 3},
	{Filters: 32, Kernel: 3, Pool: 4},
	{Filters: 8, Kernel: 5, Pool: 2},
	{Filters: 18, Kernel: 5, Pool: 3},
	{Filters: 30, Kernel: 5, Pool: 4},
	{Filters: 60, Kernel: 5, Pool: 5},
	{Filters: 22, Kernel: 7, Pool: 3},
	{Filters: 38, Kernel: 7, Pool: 4},
}

// configs returns the candidates, or the configurations spelled in only.
func configs(only string) []cnn.Config {
	if only == "" {
		return candidates
	}
	var list []cnn.Config
	for _, spec := range strings.Split(only, ",") {
		var c cnn.Config
		if _, err := fmt.Sscanf(spec, "%d/%d/%d", &c.Filters, &c.Kernel, &c.Pool); err != nil {
			log.Fatalf("-only: %q is not filters/kernel/pool: %v", spec, err)
		}
		list = append(list, c)
	}
	return list
}

func main() {
	seeds := flag.Int("seeds", 1, "seeds per configuration (weights and shuffling)")
	patience := flag.Int("patience", training.DefaultOptions().Patience, "early-stopping patience (Keras' default is 0)")
	only := flag.String("only", "", "comma-separated configurations filters/kernel/pool to train instead of the list, e.g. 30/5/4,22/7/3")
	var dataset mnist.Dataset
	flag.Var(&dataset, "data", "the data set: mnist or fashion")
	flag.Parse()
	data, err := mnist.Load(mnist.Options{Dataset: dataset, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	b, err := backend.New()
	if err != nil {
		log.Fatal(err)
	}
	const row = "%7v %6v %4v %6v %4v %6v %4v %8v %8v %7v\n"
	fmt.Printf(row, "filters", "kernel", "pool", "params", "seed", "epochs", "best", "val_acc", "test_acc", "seconds")
	for _, cfg := range configs(*only) {
		for seed := int64(1); seed <= int64(*seeds); seed++ {
			if n := cfg.NumParams(); n < 8000 || n > 12000 {
				log.Fatalf("%s has %d parameters, outside 8,000..12,000", cfg, n)
			}
			start := time.Now()
			m, err := cnn.New(b, cfg, seed)
			if err != nil {
				log.Fatal(err)
			}
			opts := training.DefaultOptions()
			opts.Seed, opts.Patience = seed, *patience
			h, err := training.Train(m, data.Train, data.Validation, opts)
			if err != nil {
				log.Fatal(err)
			}
			_, testAcc, err := m.Evaluate(data.Test.Images, data.Test.Labels)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf(row, cfg.Filters, cfg.Kernel, cfg.Pool, cfg.NumParams(), seed, len(h.Epochs), h.BestEpoch,
				fmt.Sprintf("%.4f", h.Kept().ValAccuracy), fmt.Sprintf("%.4f", testAcc), fmt.Sprintf("%.0f", time.Since(start).Seconds()))
		}
	}
}
