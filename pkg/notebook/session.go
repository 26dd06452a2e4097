package notebook

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/janpfeifer/gonb/gonbui"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/plots"
	"github.com/advmlgo/advml/pkg/training"
)

// Session gives a notebook's cells what they need in one call each: MNIST,
// the trained model and the engine. GoNB runs every cell as a program of its
// own, so a cell pays only for what it asks for, once. Results that cost
// more than a load can be shared between the cells of a kernel session with
// Cached.
//
// Its methods are for cells: a failure ends the cell with its one-line
// error (see Fail) instead of returning it.
type Session struct {
	CheckpointDir string     // Where the model is saved, and loaded from.
	Config        cnn.Config // The network; the zero Config means cnn.Default.
	// Dataset is the data the session reads and trains on: MNIST (the zero
	// value) or mnist.Fashion. Give a Fashion session its own
	// CheckpointDir (Dataset.Folder does).
	Dataset mnist.Dataset
	// Seed seeds everything random of the session: MNIST's validation
	// split, and when the session trains, the weights and the shuffling (it
	// takes the place of Training.Seed).
	Seed     int64
	Retrain  bool             // Train once per kernel session even when a checkpoint exists.
	Training training.Options // Used when the session trains.
	// TrainImages, if positive, trains on the first TrainImages training
	// images only (a quick demonstration).
	TrainImages int
	// Remedy, if set, ends the error of a checkpoint that cannot be loaded
	// (what remakes it, e.g. "run make robust").
	Remedy string

	mu      sync.Mutex
	engine  compute.Backend
	data    *mnist.Data
	trained *training.Trained

	muMemory sync.Mutex
	memory   map[string][]byte // Cached values outside a notebook.
}

// NewSession returns a session on the model saved in checkpointDir, with the
// project's seed (1) and training settings (training.DefaultOptions, with a
// progress display). With retrain, the first cell that asks for the model in
// a kernel session trains it anew.
func NewSession(checkpointDir string, retrain bool) *Session {
	opts := training.DefaultOptions()
	opts.ProgressBar = true
	return &Session{CheckpointDir: checkpointDir, Seed: opts.Seed, Retrain: retrain, Training: opts}
}

// NewRobustSession returns a session on the robust model (cnn.Robust) that
// `make robust` saves in checkpointDir. When there is none, the first cell
// that asks for the model trains a short demonstration in checkpointDir +
// "-demo" instead (or loads it from there): the same adversarial training
// on 12,000 images for 6 epochs, 3 of them warm-up, about two minutes on two
// cores, which resists far less than the full training's model.
func NewRobustSession(checkpointDir string) *Session {
	opts := training.RobustOptions()
	opts.ProgressBar = true
	s := &Session{CheckpointDir: checkpointDir, Config: cnn.Robust, Seed: opts.Seed, Training: opts,
		Remedy: "make robust remakes the robust model"}
	return s.demoIfAbsent()
}

// NewNoiseSession returns a session on the article's network trained on
// its images plus Gaussian noise of standard deviation sigma
// (training.Options.Noise): the base classifier that randomized smoothing
// (certify.Smoothing) certifies best at the same σ. The first cell that
// asks for the model loads it from checkpointDir (the repository ships
// checkpoints/cnn-noise-0.25), or trains it there, a few minutes on two
// cores.
func NewNoiseSession(checkpointDir string, sigma float64) *Session {
	s := NewSession(checkpointDir, false)
	s.Training.Noise = sigma
	return s
}

// NewCertifiedSession returns a session on the certified model (cnn.Robust
// trained on its CROWN-IBP bounds at ε = 0.3, training.CROWNIBPTraining,
// for 50 epochs with 10 of warm-up and the rate annealed along a cosine)
// that the repository ships in checkpointDir. When there is none, the first
// cell that asks for the model trains a short demonstration in
// checkpointDir + "-demo" instead (or loads it from there): the same
// training on 12,000 images for 6 epochs, 3 of them warm-up, about a minute
// and a half on two cores, whose bounds certify far less.
func NewCertifiedSession(checkpointDir string) *Session {
	opts := training.RobustOptions()
	opts.ProgressBar = true
	opts.Adversary = training.CROWNIBPTraining(0.3)
	opts.MaxEpochs, opts.Patience, opts.CosineDecay, opts.Adversary.WarmupEpochs = 50, 50, true, 10
	s := &Session{CheckpointDir: checkpointDir, Config: cnn.Robust, Seed: opts.Seed, Training: opts,
		Remedy: "docs/certify.md has the make robust command that remakes the certified model"}
	return s.demoIfAbsent()
}

// demoIfAbsent turns a session whose CheckpointDir holds no model into the
// short demonstration: its Training on the first 12,000 training images for
// 6 epochs, 3 of them warm-up, validated on 500, in CheckpointDir + "-demo".
func (s *Session) demoIfAbsent() *Session {
	if !cnn.Exists(s.CheckpointDir) {
		s.CheckpointDir += "-demo"
		s.TrainImages = 12000
		s.Training.MaxEpochs, s.Training.Adversary.WarmupEpochs, s.Training.Adversary.ValidationImages = 6, 3, 500
	}
	return s
}

// Demo tells whether the session's model is the short demonstration of
// NewRobustSession rather than a full training's.
func (s *Session) Demo() bool { return s.TrainImages > 0 }

// config is the session's network.
func (s *Session) config() cnn.Config {
	if s.Config == (cnn.Config{}) {
		return cnn.Default
	}
	return s.Config
}

// Backend returns the engine (backend.New's).
func (s *Session) Backend() compute.Backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engine == nil {
		var err error
		s.engine, err = backend.New()
		Check(err)
	}
	return s.engine
}

// Data returns the session's data set (MNIST unless Dataset says
// otherwise), split with the session's seed.
func (s *Session) Data() *mnist.Data {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		var err error
		s.data, err = mnist.Load(mnist.Options{Dataset: s.Dataset, Seed: s.Seed})
		Check(err)
	}
	return s.data
}

// Test returns the data set's test images.
func (s *Session) Test() *mnist.Split { return s.Data().Test }

// TestImages returns the first n test images (flat) and their labels, at
// most SmallDigits of them when SmallEnv is set (the tests' small runs).
// They are the test set's own values, not copies, but capped: appending to
// either allocates anew instead of overwriting the images after them.
func (s *Session) TestImages(n int) ([]float32, []int) {
	test := s.Test()
	n = min(n, test.Len())
	if IsSmall() {
		n = min(n, SmallDigits)
	}
	return test.Images[: n*mnist.Pixels : n*mnist.Pixels], test.Labels[:n:n]
}

// NewModel returns a freshly initialised model of the session's network,
// seeded by the session's seed: the model training starts from.
func (s *Session) NewModel() *cnn.Model {
	m, err := cnn.New(s.Backend(), s.config(), s.Seed)
	Check(err)
	return m
}

// Trained returns the model with its training history: loaded from
// CheckpointDir, or trained there (about a minute) when it holds none, or
// when Retrain asks for it and no cell of this kernel session has trained
// yet.
func (s *Session) Trained() *training.Trained {
	backend, data := s.Backend(), s.Data()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trained == nil {
		const retrainedKey = "session-retrained"
		retrain := s.Retrain && s.load(retrainedKey) == nil
		data = s.trainingData(data)
		opts := s.Training
		opts.Seed = s.Seed
		var err error
		s.trained, err = training.LoadOrTrain(backend, s.CheckpointDir, data, s.config(), opts, retrain)
		if err != nil && s.Remedy != "" {
			err = fmt.Errorf("%w; %s", err, s.Remedy)
		}
		Check(err)
		if retrain {
			s.store(retrainedKey, []byte{1})
		}
	}
	return s.trained
}

// trainingData is data with its training split cut to the first
// TrainImages images when TrainImages asks for fewer than it holds.
func (s *Session) trainingData(data *mnist.Data) *mnist.Data {
	if s.TrainImages > 0 && s.TrainImages < data.Train.Len() {
		subset := *data
		subset.Train = data.Train.Head(s.TrainImages)
		return &subset
	}
	return data
}

// Fit gives a model of your own the session's load-or-train: it loads m's
// weights from dir, or, when dir holds no checkpoint (or Retrain asks, once
// per kernel session), trains m on the session's MNIST (its first
// TrainImages images, when set) with its Training options and Seed, and
// saves it in dir. It returns the training's History. Build m in each cell
// that uses it, with classifier.New on a new store (GoNB runs every cell as
// a program of its own); Fit then loads it:
//
//	m := notebook.Must(classifier.New(session.Backend(), model.NewStore(), mnist.Geometry, mlp))
//	history := session.Fit(m, "../checkpoints/mlp")
//
// A dir relative to the notebook's folder is the usual choice: notebooks
// run in notebooks/, so "../checkpoints/mlp" lands beside the project's.
func (s *Session) Fit(m *classifier.Model, dir string) *training.History {
	opts := s.Training
	opts.Seed = s.Seed
	return s.FitWith(m, dir, opts)
}

// FitWith is Fit with the caller's training options, its Seed included
// (Fit takes the session's Training and Seed): another seed, more epochs,
// adversarial training, without leaving the session.
//
//	opts := session.Training
//	opts.Seed, opts.MaxEpochs = 7, 3
//	history := session.FitWith(m, "../checkpoints/mlp-seed-7", opts)
func (s *Session) FitWith(m *classifier.Model, dir string, opts training.Options) *training.History {
	data := s.trainingData(s.Data())
	retrainedKey := "session-retrained:" + dir
	retrain := s.Retrain && s.load(retrainedKey) == nil
	h, _, err := training.LoadOrFit(m, dir, data, opts, retrain)
	Check(err)
	if retrain {
		s.store(retrainedKey, []byte{1})
	}
	return h
}

// Model returns the trained model (see Trained).
func (s *Session) Model() *cnn.Model { return s.Trained().Model }

// Cached returns compute's result, computed once per kernel session and
// model: the first cell that asks for key computes it, the cells after it
// read it back (GoNB runs each cell as a new program, so results are kept as
// gob files in the kernel session's temporary folder). Outside a notebook it
// is computed once per program. The key must name everything the result
// depends on besides the model, which the session adds (a retrained model
// gets new results).
func Cached[T any](s *Session, key string, compute func() (T, error)) T {
	key = key + "@" + s.modelID()
	if s.Dataset != mnist.MNIST {
		key += "@" + s.Dataset.String()
	}
	if IsSmall() {
		key += "@small" // Never a small run's result for a full one.
	}
	var value T
	if data := s.load(key); data != nil {
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&value); err == nil {
			return value
		}
	}
	value, err := compute()
	Check(err)
	var buf bytes.Buffer
	Check(gob.NewEncoder(&buf).Encode(value))
	s.store(key, buf.Bytes())
	return value
}

// modelID names the trained model: its checkpoint file, whose name holds
// when it was saved.
func (s *Session) modelID() string {
	s.Trained()
	matches, _ := filepath.Glob(filepath.Join(s.CheckpointDir, "checkpoint-*.json"))
	if len(matches) == 0 {
		return "unsaved"
	}
	return strings.TrimSuffix(filepath.Base(matches[len(matches)-1]), ".json")
}

// cacheDir is the kernel session's folder for cached values, or "" outside
// a notebook.
func cacheDir() string {
	dir := os.Getenv("GONB_TMP_DIR")
	if dir == "" || !gonbui.IsNotebook {
		return ""
	}
	return filepath.Join(dir, "advml-cache")
}

func (s *Session) load(key string) []byte {
	if dir := cacheDir(); dir != "" {
		data, err := os.ReadFile(filepath.Join(dir, fileName(key)))
		if err != nil {
			return nil
		}
		return data
	}
	s.muMemory.Lock()
	defer s.muMemory.Unlock()
	return s.memory[key]
}

func (s *Session) store(key string, data []byte) {
	if dir := cacheDir(); dir != "" {
		Check(os.MkdirAll(dir, 0o755))
		Check(os.WriteFile(filepath.Join(dir, fileName(key)), data, 0o644))
		return
	}
	s.muMemory.Lock()
	defer s.muMemory.Unlock()
	if s.memory == nil {
		s.memory = map[string][]byte{}
	}
	s.memory[key] = data
}

// fileName turns a key into a file name.
func fileName(key string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator || r == 0 {
			return '_'
		}
		return r
	}, key) + ".gob"
}

// Show displays a figure in the cell's output: the (image, error) pair that
// figure functions return, so that a cell reads show(plots.Digit(x, caption)).
// An error ends the cell (see Fail). Outside a notebook it displays nothing.
func Show(img image.Image, err error) {
	Check(err)
	if err := plots.Show(img); err != nil && !errors.Is(err, plots.ErrNotNotebook) {
		Fail(err)
	}
}

// Must returns v, or ends the cell with err (see Fail): a cell reads
// res := notebook.Must(a.Run(m, images, criterion)).
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Check ends the cell with err (see Fail) unless err is nil.
func Check(err error) {
	if err != nil {
		Fail(err)
	}
}

// Fail ends the program, a notebook cell, with err: it prints "error: "
// and the message on standard error and exits with status 1, which GoNB
// shows under the cell and reports as the cell's failure. Tests replace it.
var Fail = func(err error) {
	fmt.Fprintf(os.Stderr, "error: %v\n", err)
	os.Exit(1)
}
