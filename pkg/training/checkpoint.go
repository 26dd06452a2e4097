package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// HistoryFile is the name of the file, inside a checkpoint folder, that
// holds the History of the training that produced it.
const HistoryFile = "history.json"

// Save writes h as JSON to path.
func (h *History) Save(path string) error {
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("training: saving history: %w", err)
	}
	return os.Rename(tmp, path)
}

// LoadHistory reads a History saved by History.Save.
func LoadHistory(path string) (*History, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	h := &History{}
	if err := json.Unmarshal(data, h); err != nil {
		return nil, fmt.Errorf("training: %s is not a saved History: %w", path, err)
	}
	if h.WeightsEpoch == 0 {
		h.WeightsEpoch = h.BestEpoch // Saved before WeightsEpoch existed, when Train always restored the best weights.
	}
	return h, nil
}

// Trained is a model with the history of its training.
type Trained struct {
	Model   *cnn.Model
	History *History
	// Loaded tells whether the model came from an existing checkpoint
	// rather than from training just now.
	Loaded bool
}

// LoadOrFit gives any classifier the checkpoint path of LoadOrTrain: when
// dir holds a checkpoint (and retrain is false) it loads m's weights from
// there; otherwise it trains m on data's training and validation sets with
// opts (a model without weights yet gets them seeded by opts.Seed) and saves
// its weights and History in dir. m must be built on a new store
// (classifier.New with model.NewStore()). loaded tells which happened; h is
// the History saved with the weights (empty if none was).
func LoadOrFit(m *classifier.Model, dir string, data *mnist.Data, opts Options, retrain bool) (h *History, loaded bool, err error) {
	if m == nil {
		return nil, false, fmt.Errorf("training.LoadOrFit: the model is nil: build one with classifier.New")
	}
	if !retrain && classifier.Exists(dir) {
		if err := m.Load(dir); err != nil {
			return nil, false, fmt.Errorf("%w (delete the folder, or retrain, to start over)", err)
		}
		h, err := loadHistory(dir)
		return h, err == nil, err
	}
	if data == nil {
		return nil, false, fmt.Errorf("training.LoadOrFit: no data to train on and no checkpoint in %s: pass mnist.Load's data", dir)
	}
	if h, err = Train(m, data.Train, data.Validation, opts); err != nil {
		return nil, false, err
	}
	return h, false, save(m, h, dir)
}

// loadHistory reads the History saved beside a checkpoint in dir; one saved
// without it gets an empty History.
func loadHistory(dir string) (*History, error) {
	h, err := LoadHistory(filepath.Join(dir, HistoryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &History{}, nil
	}
	return h, err
}

// save writes m's checkpoint and its History h into dir.
func save(m *classifier.Model, h *History, dir string) error {
	if err := m.Save(dir); err != nil {
		return err
	}
	return h.Save(filepath.Join(dir, HistoryFile))
}

// LoadOrTrain returns the model saved in dir if there is one (and retrain
// is false); otherwise it creates a model of cfg with weights seeded by
// opts.Seed, trains it on data's training and validation sets, and saves it
// with its History in dir. This is what notebooks and `make reproduce` call,
// so that a model is trained once and reused.
func LoadOrTrain(b compute.Backend, dir string, data *mnist.Data, cfg cnn.Config, opts Options, retrain bool) (*Trained, error) {
	if !retrain && cnn.Exists(dir) {
		m, err := cnn.Load(b, dir)
		if err != nil {
			return nil, fmt.Errorf("%w (delete the folder, or retrain, to start over)", err)
		}
		if m.Config != cfg {
			return nil, fmt.Errorf("training: the checkpoint in %s is a %s model, not the %s asked for: retrain, or use another folder",
				dir, m.Config, cfg)
		}
		h, err := loadHistory(dir)
		if err != nil {
			return nil, err
		}
		return &Trained{Model: m, History: h, Loaded: true}, nil
	}
	m, err := cnn.New(b, cfg, opts.Seed)
	if err != nil {
		return nil, err
	}
	h, err := Train(m, data.Train, data.Validation, opts)
	if err != nil {
		return nil, err
	}
	if err := save(m.Model, h, dir); err != nil {
		return nil, err
	}
	return &Trained{Model: m, History: h}, nil
}
