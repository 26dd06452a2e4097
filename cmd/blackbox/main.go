// Command blackbox sets the black-box attacks (Square, SimBA, HopSkipJump:
// answers only, every query counted) against the white-box ones on the
// same images of one model: untargeted on the first -n test images, and
// targeted on -pairs random (test image, target) pairs. Per attack: success
// rate, and over the images it fooled the median queries, L2 and L∞ of the
// perturbation. It prints two tables to stderr and one JSON line last.
//
//	go run ./cmd/blackbox                                     # what `make blackbox` runs: the article's model
//	go run ./cmd/blackbox -checkpoint checkpoints/robust      # the robust model (make robust saves it)
//	go run ./cmd/blackbox -n 200 -pairs 50                    # quicker
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"strings"
	"time"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/boundary"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/stats"
	"github.com/advmlgo/advml/pkg/training"
)

func main() {
	var (
		checkpoint = flag.String("checkpoint", "checkpoints/cnn", "the model to attack (the article's is trained there if absent)")
		n          = flag.Int("n", 1000, "test images attacked untargeted (the first ones)")
		pairs      = flag.Int("pairs", 100, "random (test image, target) pairs attacked targeted")
		queries    = flag.Int("queries", 5000, "query budget per image of Square and HopSkipJump (SimBA gets twice as many)")
		seed       = flag.Int64("seed", 1, "seed of the pairs and the attacks")
		data       mnist.Dataset
	)
	flag.Var(&data, "data", "the data set: mnist or fashion (Fashion-MNIST; the default -checkpoint gets -fashion appended)")
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "checkpoint" })
	if !set {
		*checkpoint = data.Folder(*checkpoint)
	}
	log.SetFlags(0)
	log.SetPrefix("blackbox: ")
	if err := run(data, *checkpoint, *n, *pairs, *queries, *seed); err != nil {
		log.Fatal(err)
	}
}

// Row is one attack's outcome.
type Row struct {
	Attack        string   `json:"attack"`
	Access        string   `json:"access"` // "scores", "decisions" or "gradients".
	Epsilon       *float64 `json:"epsilon"`
	SuccessRate   float64  `json:"success_rate"`
	MedianQueries *float64 `json:"median_queries"` // Black-box only.
	MedianL2      *float64 `json:"median_l2"`      // Over the successes; null when none.
	MedianLinf    *float64 `json:"median_linf"`    // Likewise.
	Seconds       float64  `json:"seconds"`
}

// Summary is the JSON line.
type Summary struct {
	Data       string `json:"data"`
	Backend    string `json:"backend"`
	Model      string `json:"model"`
	N          int    `json:"n"`
	Pairs      int    `json:"pairs"`
	Untargeted []Row  `json:"untargeted"`
	Targeted   []Row  `json:"targeted"`
}

// entry is an attack to run, with its budget (0: a minimal attack, run
// unbounded) and how it sees the model.
type entry struct {
	a       attack.Attack
	epsilon float64
	access  string
}

func run(dataset mnist.Dataset, checkpoint string, n, pairs, queries int, seed int64) error {
	switch {
	case n < 1 || n > 10000:
		return fmt.Errorf("-n %d: attack between 1 and 10000 test images", n)
	case pairs < 1:
		return fmt.Errorf("-pairs %d: attack at least 1 pair", pairs)
	case queries < 1:
		return fmt.Errorf("-queries %d: give each image a budget of at least 1 query", queries)
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	data, err := mnist.Load(mnist.Options{Dataset: dataset, Seed: seed})
	if err != nil {
		return err
	}
	var m *cnn.Model
	if cnn.Exists(checkpoint) {
		m, err = cnn.Load(b, checkpoint)
	} else {
		opts := training.DefaultOptions()
		opts.Seed = seed
		var trained *training.Trained
		trained, err = training.LoadOrTrain(b, checkpoint, data, cnn.Default, opts, false)
		if trained != nil {
			m = trained.Model
		}
	}
	if err != nil {
		return err
	}
	log.Printf("model %v from %s; CPU: %s", m.Config, checkpoint, backend.CPU())
	summary := Summary{Data: dataset.String(), Backend: backend.Label(b), Model: m.Config.String(), N: n, Pairs: pairs}

	square, squareL2 := attack.NewSquare(attack.Linf), attack.NewSquare(attack.L2)
	pixel, dct := attack.NewSimBA(attack.PixelBasis), attack.NewSimBA(attack.DCTBasis)
	hsj, hsjInf := attack.NewHopSkipJump(attack.L2), attack.NewHopSkipJump(attack.Linf)
	square.MaxQueries, squareL2.MaxQueries, hsj.MaxQueries, hsjInf.MaxQueries = queries, queries, queries, queries
	pixel.MaxQueries, dct.MaxQueries = 2*queries, 2*queries
	square.Seed, squareL2.Seed, pixel.Seed, dct.Seed, hsj.Seed, hsjInf.Seed = seed, seed, seed, seed, seed, seed
	pgd, pgdL2 := attack.NewPGD(attack.Linf), attack.NewPGD(attack.L2)
	pgd.Seed, pgdL2.Seed = seed, seed

	images, labels := data.Test.Images[:n*mnist.Pixels], data.Test.Labels[:n]
	untargeted := []entry{
		{square, 0.3, "scores"}, {pgd, 0.3, "gradients"},
		{squareL2, 2, "scores"}, {pgdL2, 2, "gradients"},
		{pixel, 0, "scores"}, {dct, 0, "scores"},
		{hsj, 0, "decisions"}, {boundary.MapAttack(), 0, "gradients"}, {attack.NewDeepFool(attack.L2), 0, "gradients"},
		{hsjInf, 0, "decisions"}, {attack.NewDeepFool(attack.Linf), 0, "gradients"},
	}
	if summary.Untargeted, err = runAll(m, images, attack.Misclassification{Labels: labels}, untargeted); err != nil {
		return err
	}
	log.Printf("untargeted, the first %d test images:\n%s", n, table(summary.Untargeted))

	pairImages, crit := experiment.RandomPairs(data.Test, pairs, seed)
	// HopSkipJump starts from a validation image of each target class.
	starts, err := attack.TargetStarts(m, data.Validation.Images, crit.Targets)
	if err != nil {
		return err
	}
	hsjT := attack.NewHopSkipJump(attack.L2)
	hsjT.MaxQueries, hsjT.Seed = queries, seed
	squareT, dctT := attack.NewSquare(attack.Linf), attack.NewSimBA(attack.DCTBasis)
	squareT.MaxQueries, dctT.MaxQueries, squareT.Seed, dctT.Seed = queries, 2*queries, seed, seed
	targeted := []entry{
		{squareT, 0.3, "scores"}, {pgd, 0.3, "gradients"},
		{dctT, 0, "scores"}, {hsjT.From(starts), 0, "decisions"}, {boundary.MapAttack(), 0, "gradients"},
		{attack.NewTargetedAscent(), 0, "gradients"},
	}
	if summary.Targeted, err = runAll(m, pairImages, crit, targeted); err != nil {
		return err
	}
	log.Printf("targeted, %d random pairs:\n%s", pairs, table(summary.Targeted))
	line, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

func runAll(m *cnn.Model, images []float32, crit attack.Criterion, entries []entry) ([]Row, error) {
	var rows []Row
	for _, e := range entries {
		start := time.Now()
		var epsilons []float64
		if e.epsilon > 0 {
			epsilons = []float64{e.epsilon}
		}
		res, err := e.a.Run(m, images, crit, epsilons...)
		if err != nil {
			return nil, fmt.Errorf("%v: %w", e.a, err)
		}
		row := Row{Attack: e.a.String(), Access: e.access, SuccessRate: round(res.SuccessRate(0)), Seconds: round(time.Since(start).Seconds())}
		if e.epsilon > 0 {
			row.Epsilon = &e.epsilon
		}
		var l2, linf []float64
		l2All, linfAll := res.Distances(0, attack.L2), res.Distances(0, attack.Linf)
		for i, ok := range res.Success[0] {
			if ok {
				l2, linf = append(l2, l2All[i]), append(linf, linfAll[i])
			}
		}
		row.MedianL2, row.MedianLinf = roundOrNil(stats.Median(l2)), roundOrNil(stats.Median(linf))
		row.MedianQueries = stats.OrNil(res.MedianQueries(0))
		log.Printf("%v: %.1f%% in %.0fs", e.a, 100*row.SuccessRate, row.Seconds)
		rows = append(rows, row)
	}
	return rows, nil
}

func table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| attack | sees | ε | success | median queries | median L2 | median L∞ | seconds |\n|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		eps, q := "none", "—"
		if r.Epsilon != nil {
			eps = fmt.Sprint(*r.Epsilon)
		}
		if r.MedianQueries != nil {
			q = fmt.Sprint(math.Round(*r.MedianQueries))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f%% | %s | %s | %s | %.0f |\n", r.Attack, r.Access, eps, 100*r.SuccessRate, q,
			orDash(r.MedianL2), orDash(r.MedianLinf), r.Seconds)
	}
	return b.String()
}

func round(x float64) float64 { return float64(int64(x*1e4+0.5)) / 1e4 }

// roundOrNil rounds a median for the JSON line; nil (null) for the median
// of no success.
func roundOrNil(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	v := round(x)
	return &v
}

func orDash(x *float64) string {
	if x == nil {
		return "—"
	}
	return fmt.Sprintf("%.3f", *x)
}
