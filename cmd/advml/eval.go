package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/dataset"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/report"
	"github.com/advmlgo/advml/pkg/robustness"
)

// evalFlags are eval's settings, as parsed.
type evalFlags struct {
	modelFlags
	files
	data, dataLayout   string
	n, part            int
	norm, eps, attacks string
	seed               int64
	out                string
	quiet, certified   bool
}

func parseEval(args []string, stderr io.Writer) (evalFlags, error) {
	var f evalFlags
	fs := flag.NewFlagSet("advml eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.modelFlags.register(fs, "the classifier")
	f.files.register(fs, "", "the images")
	fs.StringVar(&f.data, "data", "", "a dataset the project reads itself, instead of -images or -folder: mnist or fashion (their 10,000 test images)")
	fs.StringVar(&f.dataLayout, "data-layout", "auto", "the layout of the -images array: auto, nchw or nhwc")
	fs.IntVar(&f.n, "n", 0, "evaluate the first n images only (0: all)")
	fs.IntVar(&f.part, "part", 100, "images per part: the evaluation runs part after part, the progress bar moving with each")
	fs.StringVar(&f.norm, "norm", "linf", "the norm of the budgets: linf or l2")
	fs.StringVar(&f.eps, "eps", "", "the budgets, comma-separated, in [0, 1] pixel units (e.g. 0.1,0.3 in L∞ on MNIST)")
	fs.StringVar(&f.attacks, "attacks", "autoattack", "comma-separated: autoattack (APGD-CE, APGD-T, FAB-T, Square), or any of apgd-ce, apgd-t, fab-t, square, pgd, fgsm")
	fs.Int64Var(&f.seed, "seed", 0, "seed of the attacks' random starts")
	fs.StringVar(&f.out, "out", "", "a folder to write report.html and summary.json into (made if missing)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&f.certified, "certify", false, "certify each image first (CROWN-IBP's bounds, L∞ only) and attack only those the bounds leave; a model trained on its bounds saves most of the attacks")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q: every setting is a flag (advml eval -h)", fs.Arg(0))
	}
	return f, nil
}

// settings are the flags turned into values, every one checked.
type settings struct {
	dataset   mnist.Dataset // With -data.
	modelOpts onnxmodel.Options
	dataOpts  dataset.Options
	norm      attack.Distance
	epsilons  []float64
	attacks   []string
}

func (f evalFlags) check() (settings, error) {
	var s settings
	var err error
	switch {
	case f.model == "":
		return s, fmt.Errorf("-model is missing: give the .onnx file of the classifier")
	case f.files.check() != nil:
		return s, f.files.check()
	case !f.files.given() && f.data == "":
		return s, fmt.Errorf("no images: give -images x.npy -labels y.npy, -folder dir, or -data mnist (or fashion)")
	case f.files.given() && f.data != "":
		return s, fmt.Errorf("give one source of images: -images and -labels, -folder, or -data")
	case f.n < 0:
		return s, fmt.Errorf("-n %d: give a number of images, or 0 for all", f.n)
	case f.part < 1:
		return s, fmt.Errorf("-part %d: give at least 1 image per part", f.part)
	}
	if f.data != "" {
		if s.dataset, err = mnist.ParseDataset(f.data); err != nil {
			return s, fmt.Errorf("-data: %w; give your own with -images/-labels or -folder", err)
		}
	}
	if s.modelOpts, err = f.modelFlags.options(); err != nil {
		return s, err
	}
	if s.dataOpts.Layout, err = classifier.ParseLayout(f.dataLayout); err != nil {
		return s, fmt.Errorf("-data-layout: %w", err)
	}
	switch strings.ToLower(f.norm) {
	case "linf", "l∞", "inf":
		s.norm = attack.Linf
	case "l2":
		s.norm = attack.L2
	default:
		return s, fmt.Errorf("-norm %q: use linf or l2", f.norm)
	}
	if f.eps == "" {
		return s, fmt.Errorf("-eps is missing: give the budgets, e.g. -eps 0.1,0.3")
	}
	if f.certified && s.norm != attack.Linf {
		return s, fmt.Errorf("-certify with -norm %s: the bounds certify L∞ balls: use -norm linf, or leave -certify out", f.norm)
	}
	eps, err := floats("-eps", f.eps)
	if err != nil {
		return s, err
	}
	for _, e := range eps {
		if !(e >= 0) || math.IsInf(e, 0) {
			return s, fmt.Errorf("-eps %s: %g is not a budget: give values of at least 0", f.eps, e)
		}
	}
	s.epsilons = eps
	for _, name := range strings.Split(f.attacks, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, ok := attackNames[name]; !ok {
			return s, fmt.Errorf("-attacks %s: unknown attack %q: use autoattack, apgd-ce, apgd-t, fab-t, square, pgd or fgsm", f.attacks, name)
		}
		if name == "fgsm" && s.norm != attack.Linf {
			return s, fmt.Errorf("-attacks fgsm is an L∞ attack: use it with -norm linf, or pgd in L2")
		}
		s.attacks = append(s.attacks, name)
	}
	return s, nil
}

func floats(flagName, list string) ([]float64, error) {
	if list == "" {
		return nil, nil
	}
	var out []float64
	for _, field := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s %s: %q is not a number: give comma-separated numbers", flagName, list, field)
		}
		out = append(out, v)
	}
	return out, nil
}

// attackNames are the names -attacks takes.
var attackNames = map[string]bool{"autoattack": true, "apgd-ce": true, "apgd-t": true, "fab-t": true, "square": true, "pgd": true, "fgsm": true}

// buildAttacks returns the attacks named, for a model of classes classes.
func buildAttacks(names []string, d attack.Distance, classes int, seed int64) []attack.Attack {
	auto := robustness.AutoAttackAttacksFor(classes, d, seed)
	var out []attack.Attack
	for _, name := range names {
		switch name {
		case "autoattack":
			out = append(out, auto...)
		case "apgd-ce":
			out = append(out, auto[0])
		case "apgd-t":
			out = append(out, auto[1])
		case "fab-t":
			out = append(out, auto[2])
		case "square":
			out = append(out, auto[3])
		case "pgd":
			pgd := attack.NewPGD(d)
			pgd.Seed = seed
			out = append(out, pgd)
		case "fgsm":
			out = append(out, attack.NewFGSM())
		}
	}
	return out
}

func evalCommand(args []string, stdout, stderr io.Writer) error {
	f, err := parseEval(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	s, err := f.check()
	if err != nil {
		return err
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	m, err := onnxmodel.Load(b, f.model, s.modelOpts)
	if err != nil {
		return err
	}
	if f.certified {
		if err := m.Boundable(); err != nil {
			return fmt.Errorf("-certify: %s: %v: leave -certify out to attack every image", f.model, err)
		}
	}
	g := m.Geometry()
	fmt.Fprintf(stderr, "model: %s, %v input, %v\n", f.model, m.Layout, g)
	s.dataOpts.Geometry = g
	data, source, err := readData(f, s.dataset, s.dataOpts)
	if err != nil {
		return err
	}
	data = data.First(f.n)
	attacks := buildAttacks(s.attacks, s.norm, g.Classes, f.seed)
	var names []string
	for _, a := range attacks {
		names = append(names, a.String())
	}
	fmt.Fprintf(stderr, "images: %d from %s\nattacks: %s, at %v ε %v\n", data.Len(), source, strings.Join(names, ", "), s.norm, s.epsilons)

	start := time.Now()
	bar := progressbar.NewOptions(data.Len(), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("evaluating"),
		progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true), progressbar.OptionSetVisibility(!f.quiet), progressbar.OptionSetWidth(30))
	var parts []*robustness.Report
	p := g.Pixels()
	for from := 0; from < data.Len(); from += f.part {
		to := min(from+f.part, data.Len())
		images, labels := data.Images[from*p:to*p], data.Labels[from:to]
		var r *robustness.Report
		if f.certified {
			r, err = robustness.EvaluateCertified(m, images, labels, attacks, s.epsilons...)
		} else {
			r, err = robustness.Evaluate(m, images, labels, attacks, s.epsilons...)
		}
		if err != nil {
			return err
		}
		parts = append(parts, r)
		bar.Add(to - from)
	}
	bar.Finish()
	fmt.Fprintln(stderr)
	whole, err := robustness.Merge(parts...)
	if err != nil {
		return err
	}
	rep, err := report.New(m, data.Images, data.Labels, whole, report.About{
		Model: filepath.Base(f.model), Data: source, Names: data.Names, Seconds: time.Since(start).Seconds(),
	})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, whole.Table())
	line, err := json.Marshal(rep.Summary())
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(f.out, "summary.json"), append(line, '\n'), 0o644); err != nil {
			return err
		}
		html, err := os.Create(filepath.Join(f.out, "report.html"))
		if err != nil {
			return err
		}
		if err := rep.WriteHTML(html); err != nil {
			html.Close()
			return err
		}
		if err := html.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s and %s\n", filepath.Join(f.out, "report.html"), filepath.Join(f.out, "summary.json"))
	}
	fmt.Fprintln(stdout, string(line))
	return nil
}

// readData reads the images the flags name, checked against the model.
func readData(f evalFlags, which mnist.Dataset, opts dataset.Options) (*dataset.Set, string, error) {
	if f.files.given() {
		return f.files.read(opts)
	}
	d, err := mnist.Load(mnist.Options{Dataset: which})
	if err != nil {
		return nil, "", err
	}
	set := d.Test // A dataset.Set already: MNIST's geometry, the class names.
	set.Source = which.Title() + " test"
	if w := opts.Geometry; w.Rows != mnist.Rows || w.Cols != mnist.Cols || w.Channels != 1 || w.Classes != mnist.NumClasses {
		return nil, "", fmt.Errorf("-data %v: the model takes %v, %s is %v", which, w, which.Title(), set.Geometry)
	}
	return set, which.Title() + " test images", nil
}
