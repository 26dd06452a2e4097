// Command sweep trains the article's CNN for several (filters, kernel, pool)
// configurations between 8,000 and 12,000 trainable parameters and prints
// each one's validation and test accuracy: the measurement behind
// cnn.Default. Every configuration is trained the way `make reproduce`
// trains (training.Options defaults, the same seeds).
//
//	go run ./cmd/sweep            # the configurations listed below
//	go run ./cmd/sweep -seeds 3   # average over 3 seeds
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"text/tabwriter"
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

func main() {
	seeds := flag.Int("seeds", 1, "seeds per configuration (weights and shuffling)")
	patience := flag.Int("patience", 0, "early-stopping patience (0: training.Options' default)")
	flag.Parse()
	data, err := mnist.Load(mnist.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	b, err := backend.New()
	if err != nil {
		log.Fatal(err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "filters\tkernel\tpool\tparams\tseed\tepochs\tbest\tval_acc\ttest_acc\tseconds\t\n")
	for _, cfg := range candidates {
		for seed := int64(1); seed <= int64(*seeds); seed++ {
			if n := cfg.NumParams(); n < 8000 || n > 12000 {
				log.Fatalf("%s has %d parameters, outside 8,000..12,000", cfg, n)
			}
			start := time.Now()
			m, err := cnn.New(b, cfg, seed)
			if err != nil {
				log.Fatal(err)
			}
			h, err := training.Train(m, data.Train, data.Validation, training.Options{Seed: seed, Patience: *patience})
			if err != nil {
				log.Fatal(err)
			}
			_, testAcc, err := m.Evaluate(data.Test.Images, data.Test.Labels)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.4f\t%.0f\t\n", cfg.Filters, cfg.Kernel, cfg.Pool,
				cfg.NumParams(), seed, len(h.Epochs), h.BestEpoch, h.Best().ValAccuracy, testAcc, time.Since(start).Seconds())
			w.Flush()
		}
	}
}
