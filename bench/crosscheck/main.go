// Command crosscheck compares the attacks of package attack with Foolbox
// 3.3.4 on the very same weights: `make crosscheck` runs it twice around
// bench/foolbox_reference.py.
//
//	go run ./bench/crosscheck -prepare -out out/crosscheck   # the model and the settings, for Foolbox
//	.venv-bench/bin/python bench/foolbox_reference.py --export out/crosscheck/export.json --out out/crosscheck
//	go run ./bench/crosscheck -out out/crosscheck            # our attacks, compared with Foolbox's
//
// The second run attacks the same images with the same settings, prints a
// table, writes out/crosscheck/crosscheck.json, and prints one JSON line
// last. It exits with status 1 when an agreement is not met. It compares
// results only: `make bench` times both sides in one run.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/advmlgo/advml/bench"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/stats"
	"github.com/advmlgo/advml/pkg/training"
)

// Settings are the attacks' settings, the same on both sides. They travel
// to Foolbox in the export's "crosscheck" object. Every attack runs on the
// first N test images, in file order, untargeted.
type Settings struct {
	FGSM struct {
		N       int     `json:"n"`
		Epsilon float64 `json:"epsilon"`
	} `json:"fgsm"`
	PGD struct {
		N           int       `json:"n"`
		Steps       int       `json:"steps"`
		AbsStepSize float64   `json:"abs_stepsize"`
		Epsilons    []float64 `json:"epsilons"`
	} `json:"pgd"`
	DeepFool struct {
		N          int     `json:"n"`
		Steps      int     `json:"steps"`
		Candidates int     `json:"candidates"`
		Overshoot  float64 `json:"overshoot"`
	} `json:"deepfool"`
	CW struct {
		N                 int     `json:"n"`
		BinarySearchSteps int     `json:"binary_search_steps"`
		Steps             int     `json:"steps"`
		StepSize          float64 `json:"stepsize"`
		Confidence        float64 `json:"confidence"`
		InitialConst      float64 `json:"initial_const"`
	} `json:"cw"`
	HSJ struct {
		N                    int     `json:"n"`
		Steps                int     `json:"steps"`
		InitialGradientEvals int     `json:"initial_gradient_eval_steps"`
		MaxGradientEvals     int     `json:"max_gradient_eval_steps"`
		Gamma                float64 `json:"gamma"`
		// StartIndices holds, per attacked image, the index of the test
		// image both sides start from: the first from index N on that the
		// model misclassifies as another class than the attacked image's
		// label.
		StartIndices []int `json:"start_indices"`
	} `json:"hsj"`
}

// defaultSettings are the issue's: FGSM at 0.1 on 1,000 images; PGD of 40
// steps of 0.01 from the image itself at six budgets on the 10,000 test
// images; DeepFool L2 with Foolbox's defaults. Carlini-Wagner runs 6 binary
// search steps of up to 1,000 Adam steps from c = 0.01 on 200 images:
// Foolbox's default of 10,000 steps takes hours in its eager mode, and with
// its 100-step setting pixels at 0 or 1 cannot move (their tanh is
// saturated), so that both sides find few adversarials. HopSkipJump L2
// runs 8 iterations with the paper's settings on 50 images, from the same
// starting images on both sides; Foolbox attacks one image per call,
// because Foolbox 3.3.4 divides each image's gradient estimate by the norm
// of the whole batch's (eagerpy's l2 without an axis), which shrinks every
// step by about √n on a batch of n and leaves its median L2 more than twice
// the paper's after 10 iterations on 100 images.
func defaultSettings() Settings {
	var s Settings
	s.FGSM.N, s.FGSM.Epsilon = 1000, 0.1
	s.PGD.N, s.PGD.Steps, s.PGD.AbsStepSize = 10000, 40, 0.01
	s.PGD.Epsilons = []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3}
	s.DeepFool.N, s.DeepFool.Steps, s.DeepFool.Candidates, s.DeepFool.Overshoot = 1000, 50, 10, 0.02
	s.CW.N, s.CW.BinarySearchSteps, s.CW.Steps, s.CW.StepSize, s.CW.InitialConst = 200, 6, 1000, 0.01, 0.01
	s.HSJ.N, s.HSJ.Steps, s.HSJ.InitialGradientEvals, s.HSJ.MaxGradientEvals, s.HSJ.Gamma = 50, 8, 100, 10000, 1
	return s
}

// hsjStarts fills the HopSkipJump settings' start images: for each attacked
// image, the first test image from index N on that m classifies as another
// class than the image's label (so that it is adversarial).
func hsjStarts(s *Settings, m *cnn.Model, test *mnist.Split) error {
	n := s.HSJ.N
	pool := test.Images[n*mnist.Pixels:]
	predicted, _, err := m.Classify(pool)
	if err != nil {
		return err
	}
	s.HSJ.StartIndices = make([]int, n)
	for i := range n {
		j := slices.IndexFunc(predicted, func(p int) bool { return p != test.Labels[i] })
		if j < 0 {
			return fmt.Errorf("no test image to start HopSkipJump from for image %d", i)
		}
		s.HSJ.StartIndices[i] = n + j
	}
	return nil
}

// The agreements asked for.
const (
	minIdenticalPixels  = 0.999
	minSamePrediction   = 0.995
	maxRobustAccuracyPP = 1.0
	maxDeepFoolRelDiff  = 0.05
	maxCWRelDiff        = 0.10
	maxHSJRelDiff       = 0.15
)

func main() {
	prepare := flag.Bool("prepare", false, "write the model and the settings for Foolbox, then stop")
	out := flag.String("out", "out/crosscheck", "folder shared with bench/foolbox_reference.py")
	checkpointDir := flag.String("checkpoint", "checkpoints/cnn", "the trained model (trained here if absent)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("crosscheck: ")
	if err := run(*prepare, *out, *checkpointDir); err != nil {
		log.Fatal(err)
	}
}

func run(prepare bool, out, checkpointDir string) error {
	b, err := backend.New()
	if err != nil {
		return err
	}
	data, err := mnist.Load(mnist.Options{Seed: 1})
	if err != nil {
		return err
	}
	trained, err := training.LoadOrTrain(b, checkpointDir, data, cnn.Default, training.DefaultOptions(), false)
	if err != nil {
		return err
	}
	m := trained.Model
	settings := defaultSettings()
	if err := hsjStarts(&settings, m, data.Test); err != nil {
		return err
	}
	if prepare {
		model, err := bench.ExportModel(m)
		if err != nil {
			return err
		}
		doc := struct {
			*bench.ModelExport
			Crosscheck Settings `json:"crosscheck"`
		}{model, settings}
		return bench.WriteJSON(filepath.Join(out, "export.json"), doc)
	}
	var ref foolboxResults
	if err := readJSON(filepath.Join(out, "foolbox.json"), &ref); err != nil {
		return fmt.Errorf("%w: run bench/foolbox_reference.py first (make crosscheck does)", err)
	}
	c := &comparison{m: m, test: data.Test, settings: settings, ref: ref, out: out}
	for _, step := range []func() error{c.fgsm, c.pgd, c.deepFool, c.carliniWagner, c.hopSkipJump} {
		if err := step(); err != nil {
			return err
		}
	}
	return c.report()
}

// foolboxResults is what bench/foolbox_reference.py writes.
type foolboxResults struct {
	Versions map[string]string `json:"versions"`
	Clean    struct {
		Accuracy float64 `json:"accuracy"`
	} `json:"clean"`
	FGSM struct {
		SuccessRate float64 `json:"success_rate"`
	} `json:"fgsm"`
	PGD struct {
		RobustAccuracy map[string]float64 `json:"robust_accuracy"`
	} `json:"pgd"`
	DeepFool minimalResults `json:"deepfool"`
	CW       struct {
		minimalResults
		ZeroImages int `json:"zero_images_returned"`
	} `json:"cw"`
	HSJ struct {
		minimalResults
		Queries []int `json:"queries"` // Per image.
	} `json:"hsj"`
}

type minimalResults struct {
	SuccessRate float64    `json:"success_rate"`
	MedianL2    *float64   `json:"median_l2"`
	L2          []*float64 `json:"l2"` // Per image; nil where Foolbox found nothing.
}

// comparison runs our attacks and gathers the rows and the summary.
type comparison struct {
	m        *cnn.Model
	test     *mnist.Split
	settings Settings
	ref      foolboxResults
	out      string
	rows     [][]string
	summary  summary
}

// summary is the JSON line.
type summary struct {
	FGSMIdenticalPixels  float64            `json:"fgsm_identical_pixels"`
	FGSMSamePrediction   float64            `json:"fgsm_same_prediction"`
	PGDRobustAccuracy    map[string]float64 `json:"pgd_robust_accuracy"`
	PGDRobustFoolbox     map[string]float64 `json:"pgd_robust_accuracy_foolbox"`
	PGDMaxDiffPP         float64            `json:"pgd_max_diff_pp"`
	DeepFoolMedianL2     float64            `json:"deepfool_median_l2"`
	DeepFoolMedianFB     float64            `json:"deepfool_median_l2_foolbox"`
	DeepFoolRelDiff      float64            `json:"deepfool_rel_diff"`
	CWMedianL2           float64            `json:"cw_median_l2"`
	CWMedianFB           float64            `json:"cw_median_l2_foolbox"`
	CWRelDiff            float64            `json:"cw_rel_diff"`
	CWImagesCompared     int                `json:"cw_images_compared"`
	HSJQueries           int                `json:"hsj_queries"`
	HSJMedianL2          float64            `json:"hsj_median_l2"`
	HSJMedianFB          float64            `json:"hsj_median_l2_foolbox"`
	HSJRelDiff           float64            `json:"hsj_rel_diff"`
	Agree                map[string]bool    `json:"agree"`
	AllAgree             bool               `json:"all_agree"`
	Foolbox              string             `json:"foolbox"`
	TensorFlow           string             `json:"tensorflow"`
	CleanAccuracy        float64            `json:"clean_accuracy"`
	CleanAccuracyFoolbox float64            `json:"clean_accuracy_foolbox"`
}

func (c *comparison) images(n int) ([]float32, []int) {
	return c.test.Images[:n*mnist.Pixels], c.test.Labels[:n]
}

func (c *comparison) row(cells ...string) { c.rows = append(c.rows, cells) }

func (c *comparison) fgsm() error {
	s := c.settings.FGSM
	images, labels := c.images(s.N)
	res, err := attack.NewFGSM().Run(c.m, images, attack.Misclassification{Labels: labels}, s.Epsilon)
	if err != nil {
		return err
	}
	theirs, err := readFloats(filepath.Join(c.out, "fgsm_foolbox.f32"), len(images))
	if err != nil {
		return err
	}
	ours := res.Clipped[0]
	identical := 0
	for i, v := range ours {
		// Foolbox recomputes x₀ + (x − x₀) when it clips, which may move a
		// value by one float32 ulp.
		if math.Abs(float64(v-theirs[i])) <= 1e-6 {
			identical++
		}
	}
	ourClasses, _, err := c.m.Classify(ours)
	if err != nil {
		return err
	}
	theirClasses, _, err := c.m.Classify(theirs)
	if err != nil {
		return err
	}
	same := 0
	for i := range ourClasses {
		if ourClasses[i] == theirClasses[i] {
			same++
		}
	}
	c.summary.FGSMIdenticalPixels = float64(identical) / float64(len(ours))
	c.summary.FGSMSamePrediction = float64(same) / float64(len(ourClasses))
	c.row(fmt.Sprintf("FGSM L∞ ε=%g, %d images: identical pixels", s.Epsilon, s.N), pct(c.summary.FGSMIdenticalPixels), "", fmt.Sprintf("≥ %s", pct(minIdenticalPixels)))
	c.row("FGSM: same prediction on both adversarials", pct(c.summary.FGSMSamePrediction), "", fmt.Sprintf("≥ %s", pct(minSamePrediction)))
	c.row("FGSM success rate", pct(res.SuccessRate(0)), pct(c.ref.FGSM.SuccessRate), "")
	return nil
}

func (c *comparison) pgd() error {
	s := c.settings.PGD
	images, labels := c.images(s.N)
	pgd := &attack.PGD{Distance: attack.Linf, Steps: s.Steps, StepSize: s.AbsStepSize, NoRandomStart: true, LastIterate: true} // As Foolbox runs it here.
	c.summary.PGDRobustAccuracy, c.summary.PGDRobustFoolbox = map[string]float64{}, map[string]float64{}
	for _, eps := range s.Epsilons {
		res, err := pgd.Run(c.m, images, attack.Misclassification{Labels: labels}, eps)
		if err != nil {
			return err
		}
		key := fmt.Sprint(eps)
		theirs, ok := c.ref.PGD.RobustAccuracy[key]
		if !ok {
			return fmt.Errorf("foolbox.json has no PGD result for ε=%s", key)
		}
		ours := 1 - res.SuccessRate(0)
		c.summary.PGDRobustAccuracy[key], c.summary.PGDRobustFoolbox[key] = ours, theirs
		c.summary.PGDMaxDiffPP = math.Max(c.summary.PGDMaxDiffPP, 100*math.Abs(ours-theirs))
		c.row(fmt.Sprintf("PGD L∞ (%d×%g) ε=%g, %d images: robust accuracy", s.Steps, s.AbsStepSize, eps, s.N), pct(ours), pct(theirs),
			fmt.Sprintf("±%g pp", maxRobustAccuracyPP))
	}
	return nil
}

func (c *comparison) deepFool() error {
	s := c.settings.DeepFool
	images, labels := c.images(s.N)
	a := &attack.DeepFool{Distance: attack.L2, Steps: s.Steps, Candidates: s.Candidates, Overshoot: s.Overshoot}
	res, err := a.Run(c.m, images, attack.Misclassification{Labels: labels})
	if err != nil {
		return err
	}
	ours, theirs, _ := medians(res, c.ref.DeepFool.L2, nil)
	c.summary.DeepFoolMedianL2, c.summary.DeepFoolMedianFB = ours, theirs
	c.summary.DeepFoolRelDiff = math.Abs(ours-theirs) / theirs
	c.row(fmt.Sprintf("DeepFool L2, %d images: median minimal L2", s.N), fmt.Sprintf("%.4f", ours), fmt.Sprintf("%.4f", theirs), fmt.Sprintf("±%s", pct(maxDeepFoolRelDiff)))
	c.row("DeepFool success rate", pct(res.SuccessRate(0)), pct(c.ref.DeepFool.SuccessRate), "")
	return nil
}

func (c *comparison) carliniWagner() error {
	s := c.settings.CW
	images, labels := c.images(s.N)
	a := &attack.CarliniWagner{BinarySearchSteps: s.BinarySearchSteps, Steps: s.Steps, StepSize: s.StepSize,
		Confidence: s.Confidence, InitialConst: s.InitialConst}
	res, err := a.Run(c.m, images, attack.Misclassification{Labels: labels})
	if err != nil {
		return err
	}
	// Foolbox returns a black image where it found nothing, and counts it
	// as a success when the model misclassifies black: those are not
	// adversarials it found. Compare the images both sides really fooled.
	black := make([]float32, mnist.Pixels)
	genuine := func(i int) bool {
		return math.Abs(*c.ref.CW.L2[i]-attack.L2.Measure(mnist.Geometry.Image(images, i), black)) > 1e-4
	}
	ours, theirs, both := medians(res, c.ref.CW.L2, genuine)
	c.summary.CWMedianL2, c.summary.CWMedianFB, c.summary.CWImagesCompared = ours, theirs, both
	c.summary.CWRelDiff = math.Abs(ours-theirs) / theirs
	c.row(fmt.Sprintf("Carlini-Wagner L2, %d images (%d fooled by both): median minimal L2", s.N, both),
		fmt.Sprintf("%.4f", ours), fmt.Sprintf("%.4f", theirs), fmt.Sprintf("±%s", pct(maxCWRelDiff)))
	c.row("Carlini-Wagner success rate (Foolbox: black images left out)", pct(res.SuccessRate(0)),
		pct(c.ref.CW.SuccessRate-float64(c.ref.CW.ZeroImages)/float64(s.N)), "")
	return nil
}

// hopSkipJump gives our HopSkipJump L2, from the same starting images as
// Foolbox's, a budget per image equal to the median of the queries
// Foolbox's run asked per image, and compares the median L2.
func (c *comparison) hopSkipJump() error {
	s := c.settings.HSJ
	images, labels := c.images(s.N)
	if len(c.ref.HSJ.Queries) != s.N {
		return fmt.Errorf("foolbox.json has %d HopSkipJump query counts for %d images: rerun bench/foolbox_reference.py", len(c.ref.HSJ.Queries), s.N)
	}
	var starts []float32
	for _, j := range s.StartIndices {
		starts = append(starts, c.test.Image(j)...)
	}
	queries := stats.Median(stats.Ints(c.ref.HSJ.Queries))
	a := &attack.HopSkipJump{Distance: attack.L2, MaxQueries: int(math.Round(queries)), InitialGradientQueries: s.InitialGradientEvals,
		MaxGradientQueries: s.MaxGradientEvals, Gamma: s.Gamma, InitTries: 1}
	res, err := a.RunFrom(c.m, images, starts, attack.Misclassification{Labels: labels})
	if err != nil {
		return err
	}
	ours, theirs, both := medians(res, c.ref.HSJ.L2, nil)
	c.summary.HSJQueries, c.summary.HSJMedianL2, c.summary.HSJMedianFB = a.MaxQueries, ours, theirs
	c.summary.HSJRelDiff = math.Abs(ours-theirs) / theirs
	c.row(fmt.Sprintf("HopSkipJump L2, %d images (%d fooled by both), %d queries per image: median L2", s.N, both, a.MaxQueries),
		fmt.Sprintf("%.4f", ours), fmt.Sprintf("%.4f", theirs), fmt.Sprintf("±%s", pct(maxHSJRelDiff)))
	c.row("HopSkipJump success rate", pct(res.SuccessRate(0)), pct(c.ref.HSJ.SuccessRate), "")
	return nil
}

// medians returns the median minimal L2 of our result and of Foolbox's
// per-image list, over the images both fooled (and that keep accepts, when
// keep is given), and their number.
func medians(res *attack.Result, theirs []*float64, keep func(int) bool) (ours, foolbox float64, n int) {
	distances := res.Distances(0, attack.L2)
	var a, b []float64
	for i, d := range theirs {
		if d == nil || !res.Success[0][i] || (keep != nil && !keep(i)) {
			continue
		}
		a, b = append(a, distances[i]), append(b, *d)
	}
	return stats.Median(a), stats.Median(b), len(a)
}

func (c *comparison) report() error {
	s := &c.summary
	s.Agree = map[string]bool{
		"fgsm":     s.FGSMIdenticalPixels >= minIdenticalPixels && s.FGSMSamePrediction >= minSamePrediction,
		"pgd":      s.PGDMaxDiffPP <= maxRobustAccuracyPP,
		"deepfool": s.DeepFoolRelDiff <= maxDeepFoolRelDiff,
		"cw":       s.CWRelDiff <= maxCWRelDiff,
		"hsj":      s.HSJRelDiff <= maxHSJRelDiff,
	}
	s.AllAgree = true
	for _, ok := range s.Agree {
		s.AllAgree = s.AllAgree && ok
	}
	s.Foolbox, s.TensorFlow = c.ref.Versions["foolbox"], c.ref.Versions["tensorflow"]
	images, labels := c.images(c.test.Len())
	_, acc, err := c.m.Evaluate(images, labels)
	if err != nil {
		return err
	}
	s.CleanAccuracy, s.CleanAccuracyFoolbox = acc, c.ref.Clean.Accuracy
	rows := append([][]string{{"clean accuracy, 10,000 test images", pct(acc), pct(c.ref.Clean.Accuracy), "same weights"}}, c.rows...)
	var table strings.Builder
	fmt.Fprintf(&table, "| check | ours (Go, XLA) | Foolbox %s on TensorFlow %s | agreement asked |\n|---|---:|---:|---|\n", s.Foolbox, s.TensorFlow)
	for _, r := range rows {
		fmt.Fprintf(&table, "| %s |\n", strings.Join(r, " | "))
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range s.Agree {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range names {
		verdict := "agrees"
		if !s.Agree[k] {
			verdict = "DOES NOT AGREE"
		}
		fmt.Fprintf(&table, "\n- %s: %s", k, verdict)
	}
	fmt.Println(table.String())
	if err := bench.WriteJSON(filepath.Join(c.out, "crosscheck.json"), s); err != nil {
		return err
	}
	line, err := json.Marshal(s)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	if !s.AllAgree {
		os.Exit(1)
	}
	return nil
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// readFloats reads n little-endian float32 values written by numpy's tofile.
func readFloats(path string, n int) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) != 4*n {
		return nil, fmt.Errorf("%s holds %d bytes, want %d (%d float32 values)", path, len(data), 4*n, n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24)
	}
	return out, nil
}
