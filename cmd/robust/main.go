// Command robust trains the project's robust model, cnn.Robust, by PGD
// adversarial training (training.RobustOptions), trains the article's
// network the same way to show that it cannot become robust, and measures
// both, with the article's clean model, at ε = 0.3 in L∞: clean accuracy
// on the 10,000 test images, then on the first -n test images (all 10,000
// by default, as the AutoAttack leaderboard counts) the robust accuracy
// under PGD-40 with 10 restarts and under AutoAttack's standard version
// (APGD-CE, APGD-T, FAB-T, Square: robustness.AutoAttack), each image
// counted robust only if every attack failed on it, with the evaluation's
// sanity checks, and the accuracy that interval bounds certify
// (certify.CROWNIBP). It prints one JSON line last, whose top-level fields are the
// robust model's leaderboard entry (n_images, clean_accuracy,
// autoattack_robust_accuracy, autoattack_after, certified_accuracy);
// progress and tables go to stderr.
//
//	go run ./cmd/robust                  # what `make robust` runs
//	go run ./cmd/robust -load            # evaluate the shipped checkpoints, no training
//	go run ./cmd/robust -load -n 1000    # on the first 1,000 test images only
//	go run ./cmd/robust -mode trades     # train with TRADES instead of PGD
//	go run ./cmd/robust -mode crown-ibp -checkpoint checkpoints/certified   # on CROWN-IBP's bounds (or ibp)
//	go run ./cmd/robust -data fashion -eps 0.1 -robust-only   # Fashion-MNIST: checkpoints/robust-fashion
//	go run ./cmd/robust -train-only -resume out/robust-resume  # a training that goes on after a stop
//
// The 10,000 images can be attacked in parts, in separate runs (hours each
// on a small CPU), and the parts' JSON lines combined into the line one run
// would print:
//
//	go run ./cmd/robust -load -from 0 -n 2500 > out/robust/0.json    # and 2500, 5000, 7500
//	go run ./cmd/robust -combine out/robust/0.json,out/robust/2500.json,out/robust/5000.json,out/robust/7500.json
//
// The checkpoints go beside the article's (checkpoints/cnn, which is loaded,
// or trained if absent): checkpoints/robust and checkpoints/article-pgd.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/robustness"
	"github.com/advmlgo/advml/pkg/training"
)

type flags struct {
	checkpoint, articlePGD, article string
	load, trainOnly, robustOnly     bool
	warmup, patience                int
	filters, filters2, hidden       int
	cosine                          bool
	devices                         int
	n, from                         int
	combine                         string
	epsilon                         float64
	mode                            string
	epochs                          int
	seed                            int64
	data                            mnist.Dataset
	resume                          string
	arch, recipe                    string
	steps, batch                    int
	stepSize, beta, lr, fraction    float64
	awp                             float64
	decayEpoch, averageFrom         int
	noValidation                    bool
	set                             map[string]bool // The flags given, so that an explicit 0 counts.
}

func main() {
	var f flags
	flag.StringVar(&f.checkpoint, "checkpoint", "checkpoints/robust", "folder of the robust model's checkpoint")
	flag.StringVar(&f.articlePGD, "article-checkpoint", "checkpoints/article-pgd", "folder of the adversarially trained article network")
	flag.StringVar(&f.article, "article-clean", "checkpoints/cnn", "folder of the article's model (trained as the article does if absent)")
	flag.BoolVar(&f.load, "load", false, "evaluate the saved checkpoints instead of training (they must exist)")
	flag.IntVar(&f.n, "n", 10000, "test images the attacks run on (the first ones, or from -from on)")
	flag.IntVar(&f.from, "from", 0, "index of the first test image the attacks run on")
	flag.StringVar(&f.combine, "combine", "", "comma-separated files, each holding the JSON line of a run on its own part of the test images: print the line of the whole")
	flag.Float64Var(&f.epsilon, "eps", 0.3, "L∞ budget of the training and of the evaluation, in (0, 1] (with -recipe and no -eps: the recipe's)")
	flag.StringVar(&f.mode, "mode", training.ModePGD, "adversarial training: pgd, fast-fgsm, trades, or on bounds: ibp, crown-ibp")
	flag.IntVar(&f.epochs, "epochs", 0, "most epochs of the robust model's training (0: training.RobustOptions')")
	flag.IntVar(&f.warmup, "warmup", 0, "epochs over which the training budget grows from 0 (unset: training.RobustOptions' 5)")
	flag.IntVar(&f.filters, "filters", 0, "filters of the robust model's first convolution, compact or lenetsmall (0: cnn.Robust's 16, LeNetSmall's 16)")
	flag.IntVar(&f.filters2, "filters2", 0, "filters of its second convolution (0: cnn.Robust's 32, LeNetSmall's 32)")
	flag.IntVar(&f.hidden, "hidden", 0, "units of its hidden dense layer (0: cnn.Robust's 128, LeNetSmall's 100)")
	flag.IntVar(&f.patience, "patience", 0, "epochs without a better robust validation accuracy that stop the training (unset: training.RobustOptions' 5)")
	flag.BoolVar(&f.cosine, "cosine", false, "anneal the learning rate to 0 along a cosine over -epochs (training.Options.CosineDecay)")
	flag.IntVar(&f.devices, "devices", 0, "split each training batch over this many of the engine's devices (training.Options.Devices; 0: one)")
	flag.BoolVar(&f.robustOnly, "robust-only", false, "train (unless -load) and evaluate the robust model only, not the article's networks")
	flag.BoolVar(&f.trainOnly, "train-only", false, "train (or load) the robust model and save it, then stop: no article networks, no evaluation")
	flag.Int64Var(&f.seed, "seed", 1, "seed of the weights, the shuffling and the attacks")
	flag.StringVar(&f.resume, "resume", "", "a folder where the robust model's training writes its progress after every epoch and goes on from after a stop (training.Options.ResumeDir)")
	flag.Var(&f.data, "data", "the data set: mnist or fashion (Fashion-MNIST; the default checkpoint folders get -fashion appended)")
	flag.StringVar(&f.arch, "arch", "compact", "the robust model's network: compact (cnn.Robust, sized by -filters, -filters2, -hidden), smallcnn (TRADES' SmallCNN), madry (Madry et al.'s) or lenetsmall (Wong and Kolter's, widened by -filters, -filters2, -hidden)")
	flag.StringVar(&f.recipe, "recipe", "", "a paper's recipe, network and schedule: trades-smallcnn (training.TRADESSmallCNNOptions), pgd-madry (training.MadryPGDOptions) or pgd-lenetsmall (training.LeNetSmallPGDOptions, ε 0.1); the other flags change it")
	flag.IntVar(&f.steps, "steps", 0, "attack steps per training batch (PGD, TRADES; 0: the mode's)")
	flag.Float64Var(&f.stepSize, "step-size", 0, "size of each training attack step (0: the mode's: 2.5ε/steps for PGD)")
	flag.Float64Var(&f.beta, "beta", 0, "TRADES' β, the weight of its robustness term (0: training.TRADESTraining's)")
	flag.IntVar(&f.batch, "batch", 0, "training batch size (0: training.RobustOptions' 64)")
	flag.Float64Var(&f.lr, "lr", 0, "Adam's learning rate (0: training.RobustOptions' 0.001)")
	flag.Float64Var(&f.fraction, "adv-fraction", 0, "share of each training batch replaced by adversarial examples, PGD and fast FGSM (training.Adversary.Fraction; 0: all, or the recipe's)")
	flag.IntVar(&f.decayEpoch, "decay-epoch", 0, "epoch from which the learning rate is a tenth (training.Options.DecayEpoch; unset: none, or the recipe's, moved with -epochs)")
	flag.BoolVar(&f.noValidation, "no-validation", false, "train on all the training images, none held out for validation: no early stopping, the last epoch's weights kept (the mean's with -average-from)")
	flag.Float64Var(&f.awp, "awp", 0, "γ of adversarial weight perturbation, the weights moved by γ times their norm against each batch's examples (training.Adversary.AWP; 0: none; 0.005 in Wu et al.'s recipes)")
	flag.IntVar(&f.averageFrom, "average-from", 0, "epoch from which the weights are averaged over epochs, the mean validated and kept (training.Options.AverageFrom; 0: none)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	f.set = set
	if _, recipe, ok := recipes(f.recipe); ok && !set["eps"] {
		f.epsilon = recipe.Adversary.Epsilon
	}
	for name, dir := range map[string]*string{"checkpoint": &f.checkpoint, "article-checkpoint": &f.articlePGD, "article-clean": &f.article} {
		if !set[name] {
			*dir = f.data.Folder(*dir)
		}
	}
	log.SetFlags(0)
	log.SetPrefix("robust: ")
	run := run
	if f.combine != "" {
		run = func(f flags) error { return combine(strings.Split(f.combine, ","), os.Stdout) }
	}
	if err := run(f); err != nil {
		log.Fatal(err)
	}
}

// robust is the robust model's network: cnn.Robust, with the sizes the
// flags set, or the network -arch names (LeNetSmall with the widths they
// set).
func (f flags) robust() cnn.Config {
	if c, _, ok := recipes(f.recipe); ok {
		return c
	}
	if arch, err := cnn.ParseArch(f.arch); err == nil && arch != cnn.Compact {
		if arch == cnn.ArchLeNetSmall {
			return cnn.Config{Arch: arch, Filters: f.filters, Filters2: f.filters2, Hidden: f.hidden}
		}
		return cnn.Config{Arch: arch}
	}
	c := cnn.Robust
	if f.filters > 0 {
		c.Filters = f.filters
	}
	if f.filters2 > 0 {
		c.Filters2 = f.filters2
	}
	if f.hidden > 0 {
		c.Hidden = f.hidden
	}
	return c
}

// validationSize is mnist.Options.ValidationSize for -no-validation.
func (f flags) validationSize() int {
	if f.noValidation {
		return mnist.NoValidation
	}
	return 0
}

// options are the robust model's training settings: the recipe's, or
// training.RobustOptions with -mode's adversary, changed by the flags given.
func (f flags) options() training.Options {
	opts := training.RobustOptions()
	mode := f.mode
	if _, recipe, ok := recipes(f.recipe); ok {
		// The recipe's adversary at its own ε and steps (scaled if -eps
		// differs from the recipe's ε).
		opts, mode = recipe, ""
		opts.Adversary.StepSize *= f.epsilon / opts.Adversary.Epsilon
	} else {
		opts.Adversary.StepSize = 2.5 * f.epsilon / float64(opts.Adversary.Steps)
	}
	opts.Seed, opts.Log = f.seed, os.Stderr
	opts.Adversary.Epsilon = f.epsilon
	switch mode {
	case training.ModeFastFGSM:
		fast := training.FastFGSMTraining(f.epsilon)
		fast.WarmupEpochs = opts.Adversary.WarmupEpochs
		opts.Adversary = fast
	case training.ModeTRADES:
		trades := training.TRADESTraining(f.epsilon)
		trades.WarmupEpochs = opts.Adversary.WarmupEpochs
		opts.Adversary = trades
	case training.ModeIBP, training.ModeCROWNIBP:
		bounded := training.IBPTraining(f.epsilon)
		if f.mode == training.ModeCROWNIBP {
			bounded = training.CROWNIBPTraining(f.epsilon)
		}
		bounded.WarmupEpochs = opts.Adversary.WarmupEpochs
		opts.Adversary = bounded
	}
	if f.epochs > 0 {
		opts.MaxEpochs = f.epochs
	}
	if f.warmup > 0 || f.set["warmup"] {
		opts.Adversary.WarmupEpochs = f.warmup
	}
	if f.patience > 0 || f.set["patience"] {
		opts.Patience = f.patience
	}
	if f.steps > 0 {
		opts.Adversary.Steps = f.steps
	}
	if f.stepSize > 0 {
		opts.Adversary.StepSize = f.stepSize
	}
	if f.beta > 0 {
		opts.Adversary.Beta = f.beta
	}
	if f.batch > 0 {
		opts.BatchSize = f.batch
	}
	if f.lr > 0 {
		opts.LearningRate = f.lr
	}
	if f.fraction > 0 || f.set["adv-fraction"] {
		opts.Adversary.Fraction = f.fraction
	}
	if f.awp > 0 {
		opts.Adversary.AWP = f.awp
	}
	switch {
	case f.set["decay-epoch"]:
		opts.DecayEpoch = f.decayEpoch
	case f.cosine:
		opts.DecayEpoch = 0 // -cosine replaces the recipe's schedule.
	case opts.DecayEpoch > 0 && f.epochs > 0:
		// The recipe's cut keeps its place: the last tenth of the epochs.
		opts.DecayEpoch = int(math.Ceil(0.9 * float64(f.epochs)))
	}
	opts.CosineDecay, opts.Devices, opts.ResumeDir = f.cosine, f.devices, f.resume
	if f.averageFrom > 0 {
		opts.AverageFrom = f.averageFrom
	}
	return opts
}

// recipes returns a paper's network and options by the name -recipe
// takes.
func recipes(name string) (cnn.Config, training.Options, bool) {
	switch name {
	case "trades-smallcnn":
		return cnn.SmallCNN, training.TRADESSmallCNNOptions(), true
	case "pgd-madry":
		return cnn.Madry, training.MadryPGDOptions(), true
	case "pgd-lenetsmall":
		return cnn.LeNetSmall, training.LeNetSmallPGDOptions(), true
	}
	return cnn.Config{}, training.Options{}, false
}

func (f flags) validate() error {
	if _, _, ok := recipes(f.recipe); f.recipe != "" && !ok {
		return fmt.Errorf("-recipe %q: use trades-smallcnn, pgd-madry or pgd-lenetsmall", f.recipe)
	}
	if f.recipe != "" && (f.set["arch"] || f.set["mode"] || f.filters != 0 || f.filters2 != 0 || f.hidden != 0) {
		return fmt.Errorf("-recipe %s with -arch, -mode or a size: the recipe sets the network and the adversary", f.recipe)
	}
	arch, err := cnn.ParseArch(f.arch)
	if err != nil && f.arch != "" {
		return fmt.Errorf("-arch %q: use compact, smallcnn, madry or lenetsmall", f.arch)
	}
	switch {
	case !(f.epsilon > 0 && f.epsilon <= 1):
		return fmt.Errorf("-eps %g: use a budget in (0, 1], such as 0.3", f.epsilon)
	case !slices.Contains([]string{training.ModePGD, training.ModeFastFGSM, training.ModeTRADES, training.ModeIBP, training.ModeCROWNIBP}, f.mode):
		return fmt.Errorf("-mode %q: use %s, %s, %s, %s or %s", f.mode, training.ModePGD, training.ModeFastFGSM, training.ModeTRADES, training.ModeIBP, training.ModeCROWNIBP)
	case f.n < 1 || f.n > 10000:
		return fmt.Errorf("-n %d: attack between 1 and 10000 test images", f.n)
	case f.from < 0 || f.from+f.n > 10000:
		return fmt.Errorf("-from %d with -n %d: the images must lie among the 10,000 test images (indices 0 to 9999)", f.from, f.n)
	case f.epochs < 0:
		return fmt.Errorf("-epochs %d: use 0 (the recipe's) or more", f.epochs)
	case f.warmup < 0:
		return fmt.Errorf("-warmup %d: use 0 or more epochs (leave it out for the recipe's 5)", f.warmup)
	case !(f.fraction >= 0 && f.fraction <= 1):
		return fmt.Errorf("-adv-fraction %g: use a share of each batch in (0, 1], or 0 for all of it", f.fraction)
	case f.decayEpoch < 0:
		return fmt.Errorf("-decay-epoch %d: use the epoch from which the rate is a tenth, or 0 for none", f.decayEpoch)
	case f.averageFrom < 0:
		return fmt.Errorf("-average-from %d: use the epoch from which the weights are averaged, or 0 for none", f.averageFrom)
	case f.patience < 0:
		return fmt.Errorf("-patience %d: use 0 or more epochs (leave it out for the recipe's 5)", f.patience)
	case f.devices < 0:
		return fmt.Errorf("-devices %d: use 0 (one device) or the number of devices to split each batch over", f.devices)
	case arch != cnn.Compact && arch != cnn.ArchLeNetSmall && (f.filters != 0 || f.filters2 != 0 || f.hidden != 0):
		return fmt.Errorf("-arch %s with -filters, -filters2 or -hidden: those size the compact and lenetsmall networks only", f.arch)
	case f.filters < 0 || f.filters2 < 0 || f.hidden < 0:
		return fmt.Errorf("-filters %d, -filters2 %d, -hidden %d: use 0 (the network's own) or positive sizes", f.filters, f.filters2, f.hidden)
	case f.steps < 0 || f.batch < 0 || !(f.stepSize >= 0) || !(f.beta >= 0) || !(f.lr >= 0) || !(f.awp >= 0):
		return fmt.Errorf("-steps %d, -step-size %g, -beta %g, -batch %d, -lr %g, -awp %g: use 0 (the recipe's) or positive values", f.steps, f.stepSize, f.beta, f.batch, f.lr, f.awp)
	case f.load && f.trainOnly:
		return fmt.Errorf("-load with -train-only: the first evaluates saved checkpoints, the second trains without evaluating; drop one")
	}
	if f.load {
		dirs := []string{f.checkpoint, f.articlePGD}
		if f.robustOnly {
			dirs = dirs[:1]
		}
		for _, dir := range dirs {
			if !cnn.Exists(dir) {
				return fmt.Errorf("-load: no checkpoint in %s: run without -load to train one", dir)
			}
		}
	}
	return nil
}

// Summary is the JSON line.
type Summary struct {
	Data    string  `json:"data"` // mnist or fashion.
	Backend string  `json:"backend"`
	CPU     string  `json:"cpu"`
	Epsilon float64 `json:"epsilon"`
	// The robust model's entry as the AutoAttack leaderboard reads it
	// (copied from Robust).
	NImages       int                `json:"n_images"`
	CleanAccuracy float64            `json:"clean_accuracy"`
	AutoAttack    float64            `json:"autoattack_robust_accuracy"`
	AutoAttackAft map[string]float64 `json:"autoattack_after"`
	Certified     float64            `json:"certified_accuracy"`
	// Robust is the robust model; ArticlePGD the article's network trained
	// the same way (fewer epochs); Article the article's model as the
	// tutorial trains it.
	Robust     Model `json:"robust"`
	ArticlePGD Model `json:"article_pgd,omitzero"` // Left out with -robust-only.
	Article    Model `json:"article,omitzero"`
}

// Model is one model's training and evaluation.
type Model struct {
	Network         string  `json:"network"`
	Params          int     `json:"params"`
	Training        string  `json:"training"`
	Loaded          bool    `json:"loaded"`
	Epochs          int     `json:"epochs"`
	WeightsEpoch    int     `json:"weights_epoch"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"` // Mean wall time of an epoch's training steps.
	TrainSeconds    float64 `json:"train_seconds"`     // The whole training, validation included; 0 when loaded.
	Evaluation
}

// Evaluation is a model's accuracy, clean and under attack.
type Evaluation struct {
	CleanAccuracy float64 `json:"clean_accuracy"` // On the 10,000 test images.
	N             int     `json:"n_images"`       // Images attacked.
	First         int     `json:"first_image"`    // Index of the first of them.
	CleanOnN      float64 `json:"clean_accuracy_n"`
	PGD           float64 `json:"pgd40x10"` // Robust accuracy under PGD-40 with 10 restarts.
	// AutoAttack is the robust accuracy under AutoAttack's standard
	// version; After, the robust accuracy after each of its attacks in turn.
	AutoAttack float64            `json:"autoattack_robust_accuracy"`
	After      map[string]float64 `json:"autoattack_after"`
	// Certified is the share of the images that interval bounds with
	// CROWN-IBP's on the last layers (certify.CROWNIBP) prove robust at ε: a
	// lower bound where the attacks give upper ones.
	Certified float64 `json:"certified_accuracy"`
	// RobustAccuracy is the worst case: robust under PGD and AutoAttack.
	RobustAccuracy float64  `json:"robust_accuracy"`
	SanityPassed   bool     `json:"sanity_passed"`
	FailedChecks   []string `json:"failed_checks,omitempty"`
	Seconds        float64  `json:"eval_seconds"`
}

func run(f flags) error {
	if err := f.validate(); err != nil {
		return err
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	log.Printf("engine: %s; CPU: %s", b.Description(), backend.CPU())
	data, err := mnist.Load(mnist.Options{Dataset: f.data, Seed: f.seed, ValidationSize: f.validationSize()})
	if err != nil {
		return err
	}
	log.Printf("%s from %s", f.data.Title(), data.Source)
	opts := f.options()
	if f.trainOnly {
		log.Printf("the robust model (%v), trained against %v, then saved; no evaluation", f.robust(), opts.Adversary)
		start := time.Now()
		trained, err := training.LoadOrTrain(b, f.checkpoint, data, f.robust(), opts, true)
		if err != nil {
			return err
		}
		h := trained.History
		log.Printf("trained in %.0fs, saved in %s: %d epochs, the weights of epoch %d (%s)", time.Since(start).Seconds(), f.checkpoint, len(h.Epochs), h.WeightsEpoch, h.Kept())
		return nil
	}
	summary := Summary{Data: f.data.String(), Backend: backend.Label(b), CPU: backend.CPU(), Epsilon: f.epsilon}

	if f.load {
		log.Printf("the robust model (%v) in %s", f.robust(), f.checkpoint)
	} else {
		log.Printf("the robust model (%v), trained against %v", f.robust(), opts.Adversary)
	}
	if summary.Robust, err = trainAndEvaluate(b, f, f.checkpoint, data, f.robust(), opts, !f.load); err != nil {
		return err
	}
	if f.robustOnly {
		return printSummary(summary)
	}
	// The article's network gets the same adversary for a third of the
	// epochs: enough to see it cannot hold ε = 0.3.
	articleOpts := opts
	articleOpts.MaxEpochs = max(opts.Adversary.WarmupEpochs+5, opts.MaxEpochs/3)
	if f.resume != "" {
		articleOpts.ResumeDir = f.resume + "-article" // Its own progress, beside the robust model's.
	}
	if f.load {
		log.Printf("the article's network (%v) in %s", cnn.Default, f.articlePGD)
	} else {
		log.Printf("the article's network (%v), trained against %v", cnn.Default, articleOpts.Adversary)
	}
	if summary.ArticlePGD, err = trainAndEvaluate(b, f, f.articlePGD, data, cnn.Default, articleOpts, !f.load); err != nil {
		return err
	}
	clean := training.DefaultOptions()
	clean.Seed, clean.Log = f.seed, os.Stderr
	log.Printf("the article's model (%v), trained as the article does", cnn.Default)
	if summary.Article, err = trainAndEvaluate(b, f, f.article, data, cnn.Default, clean, false); err != nil {
		return err
	}
	return printSummary(summary)
}

// printSummary prints the JSON line, its top-level fields the robust model's.
func printSummary(summary Summary) error {
	summary.NImages, summary.CleanAccuracy = summary.Robust.N, summary.Robust.CleanAccuracy
	summary.AutoAttack, summary.AutoAttackAft = summary.Robust.AutoAttack, summary.Robust.After
	summary.Certified = summary.Robust.Certified
	line, err := json.Marshal(summary)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}

func trainAndEvaluate(b compute.Backend, f flags, dir string, data *mnist.Data, cfg cnn.Config, opts training.Options, retrain bool) (Model, error) {
	start := time.Now()
	trained, err := training.LoadOrTrain(b, dir, data, cfg, opts, retrain)
	if err != nil && !retrain {
		return Model{}, fmt.Errorf("%w; run make robust without -load to remake it", err)
	}
	if err != nil {
		return Model{}, err
	}
	h := trained.History
	out := Model{Network: cfg.String(), Params: trained.Model.NumParams(), Training: trainingLabel(h, trained.Loaded), Loaded: trained.Loaded,
		Epochs: len(h.Epochs), WeightsEpoch: h.WeightsEpoch}
	for _, e := range h.Epochs {
		out.SecondsPerEpoch += e.Seconds / float64(len(h.Epochs))
	}
	out.SecondsPerEpoch = round(out.SecondsPerEpoch)
	if !trained.Loaded {
		out.TrainSeconds = round(time.Since(start).Seconds())
		log.Printf("trained in %.0fs, saved in %s", out.TrainSeconds, dir)
	} else {
		log.Printf("loaded from %s", dir)
	}
	out.Evaluation, err = evaluate(trained.Model, data.Test, f)
	return out, err
}

// trainingLabel names the training that made a model: its adversary, or,
// for a loaded checkpoint without the history that records it, says so
// rather than calling it clean training.
func trainingLabel(h *training.History, loaded bool) string {
	if loaded && len(h.Epochs) == 0 {
		return "not recorded (no " + training.HistoryFile + " beside the checkpoint)"
	}
	return h.Adversary.String()
}

// evaluate measures m at f.epsilon on f.n test images from f.from on.
func evaluate(m *cnn.Model, test *mnist.Split, f flags) (Evaluation, error) {
	start := time.Now()
	var e Evaluation
	var err error
	if _, e.CleanAccuracy, err = m.Evaluate(test.Images, test.Labels); err != nil {
		return e, err
	}
	images, labels := test.Images[f.from*mnist.Pixels:(f.from+f.n)*mnist.Pixels], test.Labels[f.from:f.from+f.n]
	pgd := attack.NewPGD(attack.Linf)
	pgd.Restarts, pgd.Seed = 10, f.seed
	// Both evaluations attack only the images the bounds do not certify:
	// the same results, faster on a model trained on its bounds.
	byPGD, err := robustness.EvaluateCertified(m, images, labels, []attack.Attack{pgd}, f.epsilon)
	if err != nil {
		return e, err
	}
	log.Printf("%s", byPGD.Table())
	byAutoAttack, err := robustness.AutoAttackCertified(m, images, labels, f.epsilon, f.seed)
	if err != nil {
		return e, err
	}
	log.Printf("AutoAttack (standard):\n%s", byAutoAttack.AutoAttackTable())
	// The images CROWN-IBP certified, which the attacks skipped.
	certified := 0
	for _, ok := range byAutoAttack.Proven[0] {
		if ok {
			certified++
		}
	}
	e.Certified = round(float64(certified) / float64(f.n))
	e.N, e.First, e.CleanOnN = f.n, f.from, round(byPGD.CleanAccuracy)
	e.PGD, e.AutoAttack = round(byPGD.RobustAccuracy[0]), round(byAutoAttack.RobustAccuracy[0])
	e.After = map[string]float64{}
	for k, name := range []string{"apgd_ce", "apgd_t", "fab_t", "square"} {
		e.After[name] = round(byAutoAttack.AfterAttack[k][0])
	}
	robust := 0
	for i := range f.n {
		if byPGD.Robust[0][i] && byAutoAttack.Robust[0][i] {
			robust++
		}
	}
	e.RobustAccuracy = round(float64(robust) / float64(f.n))
	e.SanityPassed = true
	for _, c := range slices.Concat(byPGD.Sanity, byAutoAttack.Sanity) {
		if c.Failed() {
			e.SanityPassed = false
			e.FailedChecks = append(e.FailedChecks, c.String())
		}
	}
	e.Seconds = round(time.Since(start).Seconds())
	log.Printf("clean %.4f; under PGD-40×10 %.4f, AutoAttack %.4f, all five attacks %.4f; certified by CROWN-IBP %.4f (%.0fs)",
		e.CleanAccuracy, e.PGD, e.AutoAttack, e.RobustAccuracy, e.Certified, e.Seconds)
	return e, nil
}

func round(x float64) float64 { return float64(int64(x*1e4+0.5)) / 1e4 }
