package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/dataset"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/robustness"
	"github.com/advmlgo/advml/pkg/training"
)

// finetuneFlags are finetune's settings, as parsed.
type finetuneFlags struct {
	modelFlags
	train, test                 files
	data, dataLayout            string
	mode, out, check            string
	eps                         float64
	epochs, nTrain, nTest, nVal int
	seed                        int64
	quiet                       bool
}

// FinetuneSummary is the JSON line advml finetune prints: the model before
// and after, clean and under PGD-40 (ε/4 steps from a random start) at the
// training budget, on the first test images.
type FinetuneSummary struct {
	Model         string  `json:"model"`
	Out           string  `json:"out"`
	Data          string  `json:"data"`
	Mode          string  `json:"mode"`
	Epsilon       float64 `json:"epsilon"`
	Epochs        int     `json:"epochs"`
	TrainImages   int     `json:"train_images"`
	ValImages     int     `json:"validation_images"`
	TestImages    int     `json:"test_images"`
	CleanBefore   float64 `json:"clean_before"`
	CleanAfter    float64 `json:"clean_after"`
	RobustBefore  float64 `json:"pgd40_before"`
	RobustAfter   float64 `json:"pgd40_after"`
	WrittenAgrees bool    `json:"written_agrees"` // The written file, loaded back, predicts as the fine-tuned model.
}

func parseFinetune(args []string, stderr io.Writer) (finetuneFlags, error) {
	var f finetuneFlags
	fs := flag.NewFlagSet("advml finetune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.modelFlags.register(fs, "the classifier to fine-tune")
	fs.StringVar(&f.data, "data", "", "a data set the project reads itself: mnist or fashion (its training images; its test images measure); mnist when no images of your own are given")
	f.train.register(fs, "", "the training images")
	f.test.register(fs, "test-", "the test images that measure the fine-tuning")
	fs.StringVar(&f.dataLayout, "data-layout", "auto", "the layout of the .npy image arrays: auto, nchw or nhwc")
	fs.IntVar(&f.nVal, "n-val", 0, "with images of your own, how many of the training images to hold out for validation (0: a tenth, at most 6,000)")
	fs.StringVar(&f.mode, "mode", training.ModePGD, "the adversarial training: pgd, trades or fast-fgsm")
	fs.Float64Var(&f.eps, "eps", 0.1, "the L∞ budget of the training and of the measure, in (0, 1]")
	fs.IntVar(&f.epochs, "epochs", 3, "epochs of fine-tuning (the budget grows over the first one)")
	fs.IntVar(&f.nTrain, "n-train", 0, "fine-tune on the first n training images only (0: all)")
	fs.IntVar(&f.nTest, "n-test", 1000, "measure on the first n test images")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the shuffling and the attacks")
	fs.StringVar(&f.out, "out", "", "the .onnx file to write the fine-tuned model to")
	fs.BoolVar(&f.quiet, "quiet", false, "no per-epoch lines")
	fs.StringVar(&f.check, "check", "", "a .json file to write the first 100 test images and the fine-tuned model's logits on them into, for bench/onnxruntime_check.py (make finetune)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q: every setting is a flag (advml finetune -h)", fs.Arg(0))
	}
	switch {
	case f.model == "":
		return f, fmt.Errorf("-model is missing: give the .onnx file to fine-tune")
	case f.out == "":
		return f, fmt.Errorf("-out is missing: give the .onnx file to write the fine-tuned model to")
	case f.out == f.model:
		return f, fmt.Errorf("-out %s is the -model file: write the fine-tuned model beside it", f.out)
	case !(f.eps > 0 && f.eps <= 1):
		return f, fmt.Errorf("-eps %g: give a budget in (0, 1]", f.eps)
	case f.epochs < 1:
		return f, fmt.Errorf("-epochs %d: fine-tune at least 1 epoch", f.epochs)
	case f.nTrain < 0 || f.nTest < 1:
		return f, fmt.Errorf("-n-train %d -n-test %d: give 0 or more training images and at least 1 test image", f.nTrain, f.nTest)
	case f.nVal < 0:
		return f, fmt.Errorf("-n-val %d: give a number of validation images, or 0 for a tenth of the training images", f.nVal)
	case f.train.check() != nil:
		return f, f.train.check()
	case f.test.check() != nil:
		return f, f.test.check()
	case f.data != "" && !knownData(f.data):
		_, err := mnist.ParseDataset(f.data)
		return f, fmt.Errorf("-data: %w", err)
	case f.data != "" && (f.train.given() || f.test.given()):
		return f, fmt.Errorf("-data %s and images of your own: give one source of images, -data or the files", f.data)
	case f.train.given() && !f.test.given():
		return f, fmt.Errorf("no test images: give -test-images and -test-labels (or -test-folder) beside the training images, to measure the fine-tuning on")
	case f.nVal > 0 && !f.train.given():
		return f, fmt.Errorf("-n-val %d without images of your own: MNIST and Fashion-MNIST hold out their own validation set; leave -n-val out", f.nVal)
	case f.test.given() && !f.train.given():
		return f, fmt.Errorf("test images without training images: give -images and -labels (or -folder) to fine-tune on")
	}
	return f, nil
}

// knownData tells whether -data names a data set the project reads.
func knownData(name string) bool {
	_, err := mnist.ParseDataset(name)
	return err == nil
}

// splits are the training, validation and test images the flags name:
// -data's splits, or the user's files, a validation set held out of the
// training images (drawn with the seed, as MNIST's is).
func (f finetuneFlags) splits(g classifier.Geometry) (train, val, test *dataset.Set, source string, err error) {
	if !f.train.given() {
		which, err := mnist.ParseDataset(cmp.Or(f.data, "mnist"))
		if err != nil {
			return nil, nil, nil, "", fmt.Errorf("-data: %w", err)
		}
		if g != mnist.Geometry {
			return nil, nil, nil, "", fmt.Errorf("-data %v: the model takes %v, %s is %v: give images of your own with -images or -folder", which, g, which.Title(), mnist.Geometry)
		}
		data, err := mnist.Load(mnist.Options{Dataset: which, Seed: f.seed})
		if err != nil {
			return nil, nil, nil, "", err
		}
		return data.Train, data.Validation, data.Test, which.String(), nil
	}
	opts := dataset.Options{Geometry: g}
	if opts.Layout, err = classifier.ParseLayout(f.dataLayout); err != nil {
		return nil, nil, nil, "", fmt.Errorf("-data-layout: %w", err)
	}
	all, source, err := f.train.read(opts)
	if err != nil {
		return nil, nil, nil, "", err
	}
	if test, _, err = f.test.read(opts); err != nil {
		return nil, nil, nil, "", err
	}
	n := all.Len()
	size := f.nVal
	if size == 0 {
		size = max(1, min(n/10, mnist.DefaultValidationSize))
	}
	if size < 1 || size >= n {
		return nil, nil, nil, "", fmt.Errorf("-n-val %d: %s has %d training images: hold out at least 1 and leave at least 1 to train on", f.nVal, source, n)
	}
	held := mnist.ValidationIndices(n, size, f.seed)
	inVal := make([]bool, n)
	for _, i := range held {
		inVal[i] = true
	}
	var rest []int
	for i := range n {
		if !inVal[i] {
			rest = append(rest, i)
		}
	}
	return all.Subset(rest), all.Subset(held), test, source, nil
}

// adversary is the training adversary the flags name, at ε, its budget
// growing over the first epoch.
func (f finetuneFlags) adversary() (training.Adversary, error) {
	var a training.Adversary
	switch f.mode {
	case training.ModePGD:
		a = training.PGDTraining(f.eps)
	case training.ModeTRADES:
		a = training.TRADESTraining(f.eps)
	case training.ModeFastFGSM:
		a = training.FastFGSMTraining(f.eps)
	default:
		return a, fmt.Errorf("-mode %q: use pgd, trades or fast-fgsm", f.mode)
	}
	a.WarmupEpochs = min(1, f.epochs-1)
	return a, nil
}

func finetuneCommand(args []string, stdout, stderr io.Writer) error {
	f, err := parseFinetune(args, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	adversary, err := f.adversary()
	if err != nil {
		return err
	}
	opts, err := f.modelFlags.options()
	if err != nil {
		return err
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	m, err := onnxmodel.Load(b, f.model, opts)
	if err != nil {
		return err
	}
	train, val, test, source, err := f.splits(m.Geometry())
	if err != nil {
		return err
	}
	if f.nTrain > 0 {
		train = train.Head(f.nTrain)
	}
	test = test.Head(f.nTest)
	s := FinetuneSummary{Model: f.model, Out: f.out, Data: source, Mode: f.mode, Epsilon: f.eps, Epochs: f.epochs,
		TrainImages: train.Len(), ValImages: val.Len(), TestImages: test.Len()}
	measure := func() (clean, robust float64, err error) {
		pgd := attack.NewPGD(attack.Linf)
		pgd.RelStepSize, pgd.Seed = 0.25, f.seed
		r, err := robustness.Evaluate(m, test.Images, test.Labels, []attack.Attack{pgd}, f.eps)
		if err != nil {
			return 0, 0, err
		}
		return r.CleanAccuracy, r.RobustAccuracy[0], nil
	}
	if s.CleanBefore, s.RobustBefore, err = measure(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: clean %.2f%%, PGD-40 at ε %g %.2f%% on %d %s test images; fine-tuning against %v on %d training images\n",
		f.model, 100*s.CleanBefore, f.eps, 100*s.RobustBefore, test.Len(), source, adversary, train.Len())
	topts := training.Options{MaxEpochs: f.epochs, Seed: f.seed, Adversary: adversary, Patience: f.epochs, RestoreBestWeights: true}
	if !f.quiet {
		topts.Log = stderr
	}
	if _, err := training.Train(m, train, val, topts); err != nil {
		return err
	}
	if s.CleanAfter, s.RobustAfter, err = measure(); err != nil {
		return err
	}
	if err := m.WriteONNX(f.out); err != nil {
		return err
	}
	back, err := onnxmodel.Load(b, f.out, opts)
	if err != nil {
		return fmt.Errorf("reading back %s: %w", f.out, err)
	}
	s.WrittenAgrees, err = samePredictions(m, back, test.Images)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "fine-tuned: clean %.2f%%, PGD-40 %.2f%%; wrote %s\n", 100*s.CleanAfter, 100*s.RobustAfter, f.out)
	if f.check != "" {
		if err := writeCheck(f.check, back, opts, test.Images[:min(100, test.Len())*test.Pixels()]); err != nil {
			return err
		}
	}
	line, err := json.Marshal(s)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(line))
	if !s.WrittenAgrees {
		return fmt.Errorf("%s, loaded back, predicts otherwise than the fine-tuned model", f.out)
	}
	return nil
}

// Check is what -check writes: images (flat, NHWC pixels in [0, 1]) and
// the logits our engine gives them through the written file, which
// bench/onnxruntime_check.py sets beside onnxruntime's on the same file.
type Check struct {
	Model  string      `json:"model"`
	Mean   []float32   `json:"mean"`
	Std    []float32   `json:"std"`
	Layout string      `json:"layout"` // Of the file's input: NCHW or NHWC.
	Dims   []int       `json:"dims"`   // [n, rows, cols, channels] of Images.
	Images []float32   `json:"images"`
	Logits [][]float32 `json:"logits"`
}

func writeCheck(path string, m *onnxmodel.Model, opts onnxmodel.Options, images []float32) error {
	g := m.Geometry()
	n := len(images) / g.Pixels()
	exec, err := model.NewExec(m.Backend(), m.Store(), m.Logits)
	if err != nil {
		return err
	}
	defer exec.Finalize()
	x := tensors.FromFlatDataAndDimensions(images, g.Dims(n)...)
	defer x.MustFinalizeAll()
	out, err := exec.Call(x)
	if err != nil {
		return err
	}
	defer out[0].MustFinalizeAll()
	flat := tensors.MustCopyFlatData[float32](out[0])
	c := Check{Model: m.Path, Mean: opts.Mean, Std: opts.Std, Layout: m.Layout.String(), Dims: g.Dims(n), Images: images}
	for i := range n {
		c.Logits = append(c.Logits, flat[i*g.Classes:(i+1)*g.Classes])
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// samePredictions tells whether a and b give the same probabilities,
// within float32 rounding, on images.
func samePredictions(a, b classifier.Predictor, images []float32) (bool, error) {
	pa, err := a.Predict(images)
	if err != nil {
		return false, err
	}
	pb, err := b.Predict(images)
	if err != nil {
		return false, err
	}
	for i := range pa {
		for c := range pa[i] {
			if math.Abs(float64(pa[i][c]-pb[i][c])) > 1e-6 {
				return false, nil
			}
		}
	}
	return true, nil
}
