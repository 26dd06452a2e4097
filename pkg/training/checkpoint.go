package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"

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
		h, err := LoadHistory(filepath.Join(dir, HistoryFile))
		if errors.Is(err, fs.ErrNotExist) {
			h, err = &History{}, nil // A checkpoint saved without its history.
		}
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
	if err := m.Save(dir); err != nil {
		return nil, err
	}
	if err := h.Save(filepath.Join(dir, HistoryFile)); err != nil {
		return nil, err
	}
	return &Trained{Model: m, History: h}, nil
}
