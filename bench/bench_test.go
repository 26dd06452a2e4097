package bench

import (
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/jacobian"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/training"
)

// CheckpointDir is the trained model the benchmarks attack: the one `make
// reproduce` saves (trained here, once, if absent).
const CheckpointDir = "../checkpoints/cnn"

// Pairs is how many (image, target) pairs the one-pair loop benchmark
// attacks, one after the other; BatchPairs how many the batched one attacks
// at once. Both are drawn like reproduce's, with seed 1.
const (
	Pairs      = 20
	BatchPairs = 1000
)

// engine is the engine the benchmarks run on: GOMLX_BACKEND's, XLA on the
// CPU when it is unset, so that `make bench` and `make profile` also time
// XLA with oneDNN (backend.OptionOneDNN).
var engine = sync.OnceValues(backend.New)

// xla returns engine's engine, or fails b.
func xla(b *testing.B) compute.Backend {
	e, err := engine()
	if err != nil {
		b.Fatal(err)
	}
	return e
}

var trained = sync.OnceValues(func() (*cnn.Model, error) {
	b, err := engine()
	if err != nil {
		return nil, err
	}
	data, err := mnist.Load(mnist.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	t, err := training.LoadOrTrain(b, CheckpointDir, data, cnn.Default, training.DefaultOptions(), false)
	if err != nil {
		return nil, err
	}
	return t.Model, nil
})

func model(b *testing.B) *cnn.Model {
	m, err := trained()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// all60k is the whole MNIST training set, as the reference's epoch uses.
var all60k = sync.OnceValues(func() (*mnist.Data, error) {
	return mnist.Load(mnist.Options{ValidationSize: mnist.NoValidation})
})

func BenchmarkTrainStep(b *testing.B) {
	for _, batch := range []int{64, 128} {
		b.Run(batchName(batch), func(b *testing.B) { benchTrainSteps(b, batch) })
	}
}

// freshSession prepares to train a new model on the 60k training images.
func freshSession(b *testing.B, batch int) (*training.Session, *mnist.Data) {
	data, err := all60k()
	if err != nil {
		b.Fatal(err)
	}
	m, err := cnn.New(xla(b), cnn.Default, 1)
	if err != nil {
		b.Fatal(err)
	}
	opts := training.DefaultOptions()
	opts.BatchSize = batch
	if opts.Devices, err = Devices(); err != nil {
		b.Fatal(err)
	}
	s, err := training.NewSession(m, data.Train, opts)
	if err != nil {
		b.Fatal(err)
	}
	return s, data
}

func benchTrainSteps(b *testing.B, batch int) {
	s, _ := freshSession(b, batch)
	defer s.Close()
	if err := s.Steps(10); err != nil { // Compiles.
		b.Fatal(err)
	}
	b.ResetTimer()
	for left := b.N; left > 0; {
		n := min(left, s.StepsPerEpoch()-1) // Full batches only.
		if err := s.Steps(n); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
}

func BenchmarkEpoch(b *testing.B) {
	s, data := freshSession(b, training.DefaultOptions().BatchSize) // As the reference's.
	defer s.Close()
	if _, err := s.Epoch(); err != nil { // Compiles (both batch shapes), as Keras' warm-up epoch does.
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.Epoch(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(TrainingFLOPsPerImage(cnn.Default)*float64(data.Train.Len())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkAdvTrainEpoch times one epoch of adversarial training of
// cnn.Robust (AdvTrainOptions: PGD-10 at ε = 0.3 inside each step, Adam),
// over AdvTrainBatches full batches, as reference.py's advtrain_epoch does.
func BenchmarkAdvTrainEpoch(b *testing.B) {
	s := advTrainSession(b)
	defer s.Close()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Epoch(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
}

// BenchmarkAdvTrainStep times single steps of BenchmarkAdvTrainEpoch's
// training, for `make profile`.
func BenchmarkAdvTrainStep(b *testing.B) {
	s := advTrainSession(b)
	defer s.Close()
	b.ResetTimer()
	for left := b.N; left > 0; {
		n := min(left, s.StepsPerEpoch())
		if err := s.Steps(n); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
}

// advTrainSession prepares adversarial training of a new cnn.Robust on the
// first AdvTrainBatches full batches of the training set, compiled.
func advTrainSession(b *testing.B) *training.Session {
	data, err := all60k()
	if err != nil {
		b.Fatal(err)
	}
	opts := AdvTrainOptions()
	if opts.Devices, err = Devices(); err != nil {
		b.Fatal(err)
	}
	indices := make([]int, AdvTrainBatches*opts.BatchSize)
	for i := range indices {
		indices[i] = i
	}
	m, err := cnn.New(xla(b), cnn.Robust, 1)
	if err != nil {
		b.Fatal(err)
	}
	s, err := training.NewSession(m, data.Train.Subset(indices), opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Steps(2); err != nil { // Compiles the one batch shape.
		b.Fatal(err)
	}
	return s
}

func BenchmarkJacobian(b *testing.B) {
	m := model(b)
	test := testutil.MNIST(b).Test
	for _, n := range []int{1, 256} {
		b.Run(batchName(n), func(b *testing.B) {
			c := jacobian.New(m, jacobian.Probabilities)
			images := test.Images[:n*784]
			if _, err := c.Compute(images); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := c.Compute(images); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAscentStep(b *testing.B) {
	m := model(b)
	image := testutil.MNIST(b).Test.Image(0)
	a := attack.NewTargetedAscent()
	if _, err := a.Step(m, image, []int{3}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := a.Step(m, image, []int{3}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAttackPair is the article's loop, one pair at a time, over the
// same Pairs pairs as the reference; it reports seconds per pair.
func BenchmarkAttackPair(b *testing.B) {
	m := model(b)
	test := testutil.MNIST(b).Test
	indices, targets := experiment.PairIndices(test, Pairs, 1)
	a := attack.NewTargetedAscent()
	if _, err := a.Attack(m, test.Image(indices[0]), targets[0]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for i, idx := range indices {
			if _, err := a.Attack(m, test.Image(idx), targets[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*len(indices)), "s/pair")
}

// BenchmarkAttackBatch attacks BatchPairs pairs in one batch; it reports
// seconds per pair.
func BenchmarkAttackBatch(b *testing.B) {
	m := model(b)
	images, crit := experiment.RandomPairs(testutil.MNIST(b).Test, BatchPairs, 1)
	a := attack.NewTargetedAscent()
	if _, err := a.Step(m, images, crit.Targets); err != nil { // Compiles.
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		res, err := a.Run(m, images, crit)
		if err != nil {
			b.Fatal(err)
		}
		if res.SuccessRate(0) < 0.99 {
			b.Fatalf("success rate %.3f", res.SuccessRate(0))
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*BatchPairs), "s/pair")
}

// BenchmarkMatmul times a 1024×1024 float32 matrix product on XLA: the
// attainable peak used to put the training's FLOP rate in perspective.
func BenchmarkMatmul(b *testing.B) {
	const n = 1024
	exec := graph.MustNewExec(xla(b), func(x, y *graph.Node) *graph.Node { return graph.Dot(x, y).Product() })
	x := tensors.FromShape(shapes.Make(dtypes.Float32, n, n))
	y := tensors.FromShape(shapes.Make(dtypes.Float32, n, n))
	exec.MustCall(x, y)[0].MustFinalizeAll()
	b.ResetTimer()
	for range b.N {
		exec.MustCall(x, y)[0].MustFinalizeAll()
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func batchName(n int) string { return "batch=" + strconv.Itoa(n) }

// BenchmarkPGD is PGD-40 L∞ at ε = 0.3 over the 10,000 test images, with
// Foolbox's LinfPGD settings; it reports seconds per run.
func BenchmarkPGD(b *testing.B) {
	benchAttack(b, SpeedPGD(), PGDImages, PGDEpsilon)
}

// BenchmarkDeepFool is DeepFool L2 with Foolbox's defaults; it reports
// seconds per image.
func BenchmarkDeepFool(b *testing.B) {
	benchAttack(b, SpeedDeepFool(), DeepFoolImages)
}

// BenchmarkCarliniWagner is Carlini-Wagner L2 with SpeedCW's settings; it
// reports seconds per image.
func BenchmarkCarliniWagner(b *testing.B) {
	benchAttack(b, SpeedCW(), CWImages)
}

// benchAttack runs a on the first n test images, untargeted, b.N times,
// after a run on the first 128 (a full batch: it compiles every batch size).
func benchAttack(b *testing.B, a attack.Attack, n int, epsilons ...float64) {
	m := model(b)
	test := testutil.MNIST(b).Test
	images, crit := test.Images[:n*mnist.Pixels], attack.Misclassification{Labels: test.Labels[:n]}
	warm := min(n, 128)
	if _, err := a.Run(m, images[:warm*mnist.Pixels], attack.Misclassification{Labels: crit.Labels[:warm]}, epsilons...); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := a.Run(m, images, crit, epsilons...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*n), "s/image")
}

// imported is the PyTorch model of models/, read from its ONNX file with
// its normalisation.
var imported = sync.OnceValues(func() (*onnxmodel.Model, error) {
	b, err := engine()
	if err != nil {
		return nil, err
	}
	mean, std, err := ImportedNormalisation("..")
	if err != nil {
		return nil, err
	}
	return onnxmodel.Load(b, filepath.Join("..", ImportedModel), onnxmodel.Options{Mean: mean, Std: std})
})

func importedModel(b *testing.B) *onnxmodel.Model {
	m, err := imported()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkImportedPGD is PGD-40 L∞ at ImportedEpsilon on the first
// ImportedImages test images of the imported PyTorch model: every image
// through all 40 steps (last-iterate, the work torchattacks does), and our
// default, which stops each image at its first adversarial iterate.
func BenchmarkImportedPGD(b *testing.B) {
	m := importedModel(b)
	test := testutil.MNIST(b).Test
	images, crit := test.Images[:ImportedImages*mnist.Pixels], attack.Misclassification{Labels: test.Labels[:ImportedImages]}
	for _, lastIterate := range []bool{true, false} {
		name := map[bool]string{true: "last-iterate", false: "early-stop"}[lastIterate]
		b.Run(name, func(b *testing.B) {
			a := ImportedPGD(lastIterate)
			// A first run compiles every batch size the loop takes.
			if _, err := a.Run(m, images, crit, ImportedEpsilon); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := a.Run(m, images, crit, ImportedEpsilon); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
		})
	}
}

// BenchmarkImportedForward is the imported model's forward pass over the
// ForwardImages test images, pixels to probabilities (Predict, in batches of
// classifier.BatchSize); it reports images per second.
func BenchmarkImportedForward(b *testing.B) {
	m := importedModel(b)
	images := testutil.MNIST(b).Test.Images[:ForwardImages*mnist.Pixels]
	if _, err := m.Predict(images); err != nil { // Compiles both batch sizes.
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := m.Predict(images); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(b.N*ForwardImages)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkAnchorStep times one training step of each paper's recipe
// (training.TRADESSmallCNNOptions on cnn.SmallCNN, training.MadryPGDOptions
// on cnn.Madry, training.LeNetSmallPGDOptions on cnn.LeNetSmall) at its
// batch size, and reports the hours an epoch of the
// 55,000 training digits would take at that rate: the cost table of
// docs/defence.md. Run it on a GPU with GOMLX_BACKEND=xla:cuda.
func BenchmarkAnchorStep(b *testing.B) {
	data, err := all60k()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		config cnn.Config
		opts   training.Options
	}{
		{"trades-smallcnn", cnn.SmallCNN, training.TRADESSmallCNNOptions()},
		{"pgd-madry", cnn.Madry, training.MadryPGDOptions()},
		{"pgd-lenetsmall", cnn.LeNetSmall, training.LeNetSmallPGDOptions()},
	} {
		b.Run(c.name, func(b *testing.B) {
			indices := make([]int, 4*c.opts.BatchSize)
			for i := range indices {
				indices[i] = i
			}
			m, err := cnn.New(xla(b), c.config, 1)
			if err != nil {
				b.Fatal(err)
			}
			s, err := training.NewSession(m, data.Train.Subset(indices), c.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Steps(1); err != nil { // Compiles.
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if err := s.Steps(1); err != nil {
					b.Fatal(err)
				}
			}
			step := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(step, "s/step")
			b.ReportMetric(step*55000/float64(c.opts.BatchSize)/3600, "h/epoch")
		})
	}
}
