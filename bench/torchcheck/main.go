// Command torchcheck compares package certify's interval bounds with
// auto_LiRPA 0.3's, and robustness.AutoAttack with torchattacks 3.5.1's, on
// the very same weights (both on PyTorch 1.12.1): `make crosscheck` runs it
// twice around bench/torch_reference.py.
//
//	go run ./bench/torchcheck -prepare -out out/crosscheck   # the networks and the settings
//	.venv-torch/bin/python bench/torch_reference.py --export out/crosscheck/torch-export.json --out out/crosscheck
//	go run ./bench/torchcheck -out out/crosscheck            # ours, compared with theirs
//
// The reference rebuilds each shipped network (the article's model,
// cnn.Robust and the certified model) from its operations (cnn.Config.Ops) and must first classify
// every image as ours does.
//
// Bounds: both sides bound, on the first -n test images, the logits over
// the L∞ ball of each budget clipped to [0, 1], and the margins
// logit(label) − logit(j) with the last layer folded in (auto_LiRPA's
// specification matrix C). Each bound agrees when
// |ours − theirs| ≤ 1e-4 · max(1, |theirs|); each budget's certified images
// must be the same images.
//
// AutoAttack: on the first -aa-n test images at ε = 0.3, against
// cnn.Robust, our standard AutoAttack and torchattacks' four attacks at the
// standard version's settings (Croce and Hein 2020: APGD-CE and APGD-T of
// 100 steps, FAB-T of 100 steps, Square of 5,000 queries), each on the
// images the ones before left robust. The robust accuracies must agree
// within 0.5 percentage point, and after each attack within 1 point.
// torchattacks' own AutoAttack(version='standard') call runs its attacks
// with their default 10 steps; its figure is printed beside, not compared.
//
// The imported model: on the first -onnx-n test images at L∞ ε -onnx-eps,
// the PyTorch model of models/ (models/train_torch_mnist.py), attacked by
// us through its ONNX export and by torchattacks on the PyTorch network
// rebuilt with the file's weights, both with its normalisation: the same
// predictions, PGD (100 steps of 2.5·ε/100, random start, last iterate)
// within 1 point, and AutoAttack's columns as above.
//
// The second run prints the tables and one JSON line, and exits with
// status 1 when an agreement is not met.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/advmlgo/advml/bench"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/training"
)

// checkpoints are the shipped networks both sides use, by name: the
// article's model, the robust model (which AutoAttack runs against) and the
// certified one, whose bounds prove much at every budget.
// The first, the tutorial's, is trained here when absent (as
// bench/crosscheck does); the others are committed.
var checkpoints = []struct{ name, dir string }{{"article", "checkpoints/cnn"}, {"robust", "checkpoints/robust"}, {"certified", "checkpoints/certified"}}

// autoAttackModel is the checkpoint AutoAttack runs against.
const autoAttackModel = 1

// Export is what torch_reference.py reads.
type Export struct {
	MNISTDir   string          `json:"mnist_dir"`
	N          int             `json:"n"`
	Epsilons   []float64       `json:"epsilons"`
	Models     []ExportedModel `json:"models"`
	AutoAttack AutoAttackSpec  `json:"autoattack"`
	ONNX       ONNXSpec        `json:"onnx"`
}

// ExportedModel is one network as its operations.
type ExportedModel struct {
	Name string           `json:"name"`
	Ops  []bench.OpExport `json:"ops"`
}

// AutoAttackSpec is the AutoAttack comparison's setting; N 0 skips it.
type AutoAttackSpec struct {
	Model   string  `json:"model"`
	N       int     `json:"n"`
	Epsilon float64 `json:"epsilon"`
	Seed    int64   `json:"seed"`
}

// Reference is what torch_reference.py writes.
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
	AutoAttack *TheirAutoAttack `json:"autoattack"`
	ONNX       *TheirONNX       `json:"onnx"`
}

type flags struct {
	prepare  bool
	out      string
	n, aaN   int
	epsilons string
	seed     int64
	onnxN    int
	onnxEps  float64
}

func main() {
	var f flags
	flag.BoolVar(&f.prepare, "prepare", false, "write the networks and the settings for the PyTorch side, then stop")
	flag.StringVar(&f.out, "out", "out/crosscheck", "folder of the exchanged files")
	flag.IntVar(&f.n, "n", 1000, "test images bounded (the first ones)")
	flag.StringVar(&f.epsilons, "eps", "0.01,0.03,0.1,0.3", "L∞ budgets of the bounds, comma-separated, each in [0, 1]")
	flag.IntVar(&f.aaN, "aa-n", 1000, "test images AutoAttack runs on (the first ones); 0 skips it")
	flag.Int64Var(&f.seed, "seed", 1, "seed of both sides' AutoAttack")
	flag.IntVar(&f.onnxN, "onnx-n", 1000, "test images PGD and AutoAttack run on against the imported PyTorch model (models/mnist_torch.onnx); 0 skips it")
	flag.Float64Var(&f.onnxEps, "onnx-eps", 0.1, "L∞ budget of the imported model's attacks, in (0, 1]")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("torchcheck: ")
	if err := run(f); err != nil {
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

func run(f flags) error {
	if f.n < 1 || f.n > 10000 {
		return fmt.Errorf("-n %d: bound between 1 and 10000 test images", f.n)
	}
	if f.aaN < 0 || f.aaN > 10000 {
		return fmt.Errorf("-aa-n %d: attack between 0 (none) and 10000 test images", f.aaN)
	}
	if f.onnxN < 0 || f.onnxN > 10000 || !(f.onnxEps > 0 && f.onnxEps <= 1) {
		return fmt.Errorf("-onnx-n %d -onnx-eps %g: attack between 0 (none) and 10000 test images, at a budget in (0, 1]", f.onnxN, f.onnxEps)
	}
	epsilons, err := parseEpsilons(f.epsilons)
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
	models := make([]*cnn.Model, len(checkpoints))
	for i, c := range checkpoints {
		if i == 0 {
			t, err := training.LoadOrTrain(b, c.dir, data, cnn.Default, training.DefaultOptions(), false)
			if err != nil {
				return err
			}
			models[i] = t.Model
			continue
		}
		if models[i], err = cnn.Load(b, c.dir); err != nil {
			return fmt.Errorf("%w (the checkpoints are committed: restore %s with git checkout)", err, c.dir)
		}
	}
	aa := AutoAttackSpec{Model: checkpoints[autoAttackModel].name, N: f.aaN, Epsilon: 0.3, Seed: f.seed}
	exportPath, refPath := filepath.Join(f.out, "torch-export.json"), filepath.Join(f.out, "torch-reference.json")
	if f.prepare {
		dir, err := mnist.GoMNISTDir()
		if err != nil {
			return err
		}
		e := Export{MNISTDir: dir, N: f.n, Epsilons: epsilons, AutoAttack: aa}
		for i, c := range checkpoints {
			ops, err := bench.ExportOps(models[i])
			if err != nil {
				return err
			}
			e.Models = append(e.Models, ExportedModel{Name: c.name, Ops: ops})
		}
		if f.onnxN > 0 {
			if e.ONNX, err = onnxSpec(f.onnxN, f.onnxEps, f.seed); err != nil {
				return err
			}
		}
		return bench.WriteJSON(exportPath, e)
	}
	var ref Reference
	raw, err := os.ReadFile(refPath)
	if err != nil {
		return fmt.Errorf("%w: run bench/torch_reference.py first (make crosscheck runs it)", err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		return fmt.Errorf("%s: %w: rerun bench/torch_reference.py", refPath, err)
	}
	if len(ref.Models) != len(checkpoints) {
		return fmt.Errorf("%s has %d models, not %d: rerun make crosscheck", refPath, len(ref.Models), len(checkpoints))
	}
	images, labels := data.Test.Images[:f.n*mnist.Pixels], data.Test.Labels[:f.n]
	var rows []Row
	for i, c := range checkpoints {
		theirs := ref.Models[i]
		if theirs.Name != c.name || len(theirs.Predictions) != f.n || len(theirs.Bounds) != len(epsilons) {
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
			if tb.Epsilon != eps || len(tb.Lower) != f.n*mnist.NumClasses || len(tb.Upper) != f.n*mnist.NumClasses || len(tb.Margins) != f.n*mnist.NumClasses {
				return fmt.Errorf("%s: model %s, budget %d does not match ε %g on %d images: rerun make crosscheck", refPath, c.name, k, eps, f.n)
			}
			bounds, err := certify.IBP(models[i], images, labels, eps)
			if err != nil {
				return err
			}
			rows = append(rows, compare(c.name, eps, same, bounds, tb.Lower, tb.Upper, tb.Margins, labels))
		}
	}
	all := printBounds(rows, ref.Versions, f.n)
	summary := map[string]any{"n_images": f.n, "tolerance": tolerance, "versions": ref.Versions, "bounds": rows}
	if aa.N > 0 {
		if ref.AutoAttack == nil || ref.AutoAttack.N != aa.N || ref.AutoAttack.Epsilon != aa.Epsilon {
			return fmt.Errorf("%s has no AutoAttack on %d images at ε %g: rerun make crosscheck", refPath, aa.N, aa.Epsilon)
		}
		images, labels := data.Test.Images[:aa.N*mnist.Pixels], data.Test.Labels[:aa.N]
		c, err := compareAutoAttack(models[autoAttackModel], images, labels, aa, ref.AutoAttack)
		if err != nil {
			return err
		}
		c.print(ref.Versions["torchattacks"])
		summary["autoattack"] = c
		all = all && c.Agree
	}
	if f.onnxN > 0 {
		spec := onnxSettings(f.onnxN, f.onnxEps, f.seed)
		images, labels := data.Test.Images[:spec.N*mnist.Pixels], data.Test.Labels[:spec.N]
		c, err := compareONNX(b, images, labels, spec, ref.ONNX)
		if err != nil {
			return err
		}
		c.print(ref.Versions["torchattacks"])
		summary["onnx"] = c
		all = all && c.Agree
	}
	summary["all_agree"] = all
	line, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	if !all {
		return fmt.Errorf("an agreement is not met (see the tables)")
	}
	return nil
}
