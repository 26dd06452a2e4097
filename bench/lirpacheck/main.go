// Command lirpacheck compares the interval bounds of package certify with
// auto_LiRPA 0.3's (Xu et al. 2020, PyTorch) on the very same weights:
// `make crosscheck` runs it twice around bench/lirpa_reference.py.
//
//	go run ./bench/lirpacheck -prepare -out out/crosscheck   # the networks and the settings
//	.venv-lirpa/bin/python bench/lirpa_reference.py --export out/crosscheck/lirpa-export.json --out out/crosscheck
//	go run ./bench/lirpacheck -out out/crosscheck            # our bounds, compared with auto_LiRPA's
//
// Both sides bound, for the shipped checkpoints (the article's model and
// cnn.Robust), the logits of the first -n test images over the L∞ ball of
// each budget clipped to [0, 1], and the margins logit(label) − logit(j)
// with the last layer folded in (auto_LiRPA's specification matrix C). The
// reference rebuilds each network from its operations (cnn.Config.Ops) and
// must first classify every one of the images as ours does. Each bound
// agrees when |ours − theirs| ≤ 1e-4 · max(1, |theirs|); each budget's
// certified images must be the same images. The second run prints a table
// and one JSON line, and exits with status 1 when an agreement is not met.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/advmlgo/advml/bench"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// tolerance is the relative agreement the bounds must meet (issue 18).
const tolerance = 1e-4

// checkpoints are the shipped networks both sides bound, by name.
var checkpoints = []struct{ name, dir string }{{"article", "checkpoints/cnn"}, {"robust", "checkpoints/robust"}}

// Export is what lirpa_reference.py reads.
type Export struct {
	MNISTDir string          `json:"mnist_dir"`
	N        int             `json:"n"`
	Epsilons []float64       `json:"epsilons"`
	Models   []ExportedModel `json:"models"`
}

// ExportedModel is one network as its operations.
type ExportedModel struct {
	Name string           `json:"name"`
	Ops  []bench.OpExport `json:"ops"`
}

// Reference is what lirpa_reference.py writes.
type Reference struct {
	Versions map[string]string `json:"versions"`
	Models   []struct {
		Name        string `json:"name"`
		Predictions []int  `json:"predictions"`
		Bounds      []struct {
			Epsilon float64   `json:"epsilon"`
			Lower   []float64 `json:"lower"`   // n×10, row-major.
			Upper   []float64 `json:"upper"`   // n×10.
			Margins []float64 `json:"margins"` // n×10: lower bounds of logit(label) − logit(j).
		} `json:"bounds"`
	} `json:"models"`
}

// Row is one model at one budget.
type Row struct {
	Model           string  `json:"model"`
	Epsilon         float64 `json:"epsilon"`
	MaxRelDiff      float64 `json:"max_rel_diff"` // Over lower, upper and margins.
	Certified       int     `json:"certified"`
	CertifiedLiRPA  int     `json:"certified_auto_lirpa"`
	SameCertified   bool    `json:"same_certified_images"`
	Agree           bool    `json:"agree"`
	PredictionsSame bool    `json:"predictions_same"`
}

func main() {
	prepare := flag.Bool("prepare", false, "write the networks and the settings for auto_LiRPA, then stop")
	out := flag.String("out", "out/crosscheck", "folder of the exchanged files")
	n := flag.Int("n", 1000, "test images bounded (the first ones)")
	epsilons := flag.String("eps", "0.01,0.03,0.1,0.3", "L∞ budgets, comma-separated, each in [0, 1]")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("lirpacheck: ")
	if err := run(*prepare, *out, *n, *epsilons); err != nil {
		log.Fatal(err)
	}
}

func parseEpsilons(s string) ([]float64, error) {
	var eps []float64
	for _, field := range strings.Split(s, ",") {
		var e float64
		if _, err := fmt.Sscan(strings.TrimSpace(field), &e); err != nil || !(e >= 0 && e <= 1) {
			return nil, fmt.Errorf("-eps %q: %q is not a budget in [0, 1]; give a list such as 0.01,0.1,0.3", s, field)
		}
		eps = append(eps, e)
	}
	return eps, nil
}

func run(prepare bool, out string, n int, epsList string) error {
	if n < 1 || n > 10000 {
		return fmt.Errorf("-n %d: bound between 1 and 10000 test images", n)
	}
	epsilons, err := parseEpsilons(epsList)
	if err != nil {
		return err
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	data, err := mnist.Load(mnist.Options{Seed: 1})
	if err != nil {
		return err
	}
	images, labels := data.Test.Images[:n*mnist.Pixels], data.Test.Labels[:n]
	models := make([]*cnn.Model, len(checkpoints))
	for i, c := range checkpoints {
		if models[i], err = cnn.Load(b, c.dir); err != nil {
			return fmt.Errorf("%w (the checkpoints are committed: restore %s with git checkout)", err, c.dir)
		}
	}
	exportPath, refPath := filepath.Join(out, "lirpa-export.json"), filepath.Join(out, "lirpa.json")
	if prepare {
		dir, err := mnist.GoMNISTDir()
		if err != nil {
			return err
		}
		e := Export{MNISTDir: dir, N: n, Epsilons: epsilons}
		for i, c := range checkpoints {
			ops, err := bench.ExportOps(models[i])
			if err != nil {
				return err
			}
			e.Models = append(e.Models, ExportedModel{Name: c.name, Ops: ops})
		}
		return bench.WriteJSON(exportPath, e)
	}
	var ref Reference
	raw, err := os.ReadFile(refPath)
	if err != nil {
		return fmt.Errorf("%w: run bench/lirpa_reference.py first (make crosscheck runs it)", err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		return fmt.Errorf("%s: %w: rerun bench/lirpa_reference.py", refPath, err)
	}
	if len(ref.Models) != len(checkpoints) {
		return fmt.Errorf("%s has %d models, not %d: rerun make crosscheck", refPath, len(ref.Models), len(checkpoints))
	}
	var rows []Row
	for i, c := range checkpoints {
		theirs := ref.Models[i]
		if theirs.Name != c.name || len(theirs.Predictions) != n || len(theirs.Bounds) != len(epsilons) {
			return fmt.Errorf("%s does not match this export (model %q, %d predictions, %d budgets): rerun make crosscheck",
				refPath, theirs.Name, len(theirs.Predictions), len(theirs.Bounds))
		}
		ours, _, err := models[i].Classify(images)
		if err != nil {
			return err
		}
		same := true
		for k := range ours {
			same = same && ours[k] == theirs.Predictions[k]
		}
		for k, eps := range epsilons {
			tb := theirs.Bounds[k]
			if tb.Epsilon != eps || len(tb.Lower) != n*mnist.NumClasses || len(tb.Upper) != n*mnist.NumClasses || len(tb.Margins) != n*mnist.NumClasses {
				return fmt.Errorf("%s: model %s, budget %d does not match ε %g on %d images: rerun make crosscheck", refPath, c.name, k, eps, n)
			}
			bounds, err := certify.IBP(models[i], images, labels, eps)
			if err != nil {
				return err
			}
			rows = append(rows, compare(c.name, eps, same, bounds, tb.Lower, tb.Upper, tb.Margins, labels))
		}
	}
	return report(rows, ref.Versions, n)
}

// compare measures one model at one budget.
func compare(name string, eps float64, samePredictions bool, ours *certify.Bounds, lower, upper, margins []float64, labels []int) Row {
	r := Row{Model: name, Epsilon: eps, PredictionsSame: samePredictions, SameCertified: true}
	for i := range ours.N {
		certified := true
		for j := range mnist.NumClasses {
			k := i*mnist.NumClasses + j
			for _, pair := range [][2]float64{{float64(ours.Lower[i][j]), lower[k]}, {float64(ours.Upper[i][j]), upper[k]}, {float64(ours.Margins[i][j]), margins[k]}} {
				r.MaxRelDiff = math.Max(r.MaxRelDiff, math.Abs(pair[0]-pair[1])/math.Max(1, math.Abs(pair[1])))
			}
			if j != labels[i] && !(margins[k] > 0) {
				certified = false
			}
		}
		if ours.Certified[i] {
			r.Certified++
		}
		if certified {
			r.CertifiedLiRPA++
		}
		r.SameCertified = r.SameCertified && certified == ours.Certified[i]
	}
	r.Agree = samePredictions && r.SameCertified && r.MaxRelDiff <= tolerance
	return r
}

func report(rows []Row, versions map[string]string, n int) error {
	fmt.Fprintf(os.Stderr, "IBP bounds on the first %d test images, against auto_LiRPA %s (torch %s):\n", n, versions["auto_LiRPA"], versions["torch"])
	fmt.Fprintf(os.Stderr, "%-8s %6s %14s %10s %16s %6s\n", "model", "ε", "max rel diff", "certified", "auto_LiRPA", "agree")
	all := true
	for _, r := range rows {
		fmt.Fprintf(os.Stderr, "%-8s %6g %14.2e %10d %16d %6v\n", r.Model, r.Epsilon, r.MaxRelDiff, r.Certified, r.CertifiedLiRPA, r.Agree)
		all = all && r.Agree
	}
	line, err := json.Marshal(map[string]any{"n_images": n, "tolerance": tolerance, "versions": versions, "rows": rows, "all_agree": all})
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	if !all {
		return fmt.Errorf("an agreement is not met (see the table): a bound differs by more than %g relative, or the certified images differ", tolerance)
	}
	return nil
}
