package classifier

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// ErrNoCheckpoint is returned (wrapped) by Load when the folder holds no
// checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Save writes the model's store (weights, optimizer state and params) as a
// GoMLX checkpoint into dir. It writes into a new folder beside dir and
// swaps it in only once complete, so a failed save leaves an earlier
// checkpoint whole.
func (m *Model) Save(dir string) error {
	if dir == "" {
		return fmt.Errorf("classifier.Save: empty checkpoint folder name: name the folder to save in")
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("classifier.Save: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".saving-")
	if err != nil {
		return fmt.Errorf("classifier.Save: %w", err)
	}
	defer os.RemoveAll(tmp) // Gone once renamed; cleans up after a failure.
	h, err := checkpoint.Build(m.store).Dir(tmp).Keep(1).Done()
	if err == nil {
		err = h.Save()
	}
	if err != nil {
		return fmt.Errorf("classifier.Save: writing checkpoint in %s: %w", tmp, err)
	}
	old := tmp + ".old"
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("classifier.Save: moving the previous checkpoint aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir) // Put the previous one back.
		return fmt.Errorf("classifier.Save: %w", err)
	}
	return os.RemoveAll(old)
}

// Exists reports whether dir holds a checkpoint that Load can read.
func Exists(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	return len(matches) > 0
}

// Load reads the weights and params that Save wrote in dir into the
// model's store, which must not hold weights yet: build the model with
// New on a new store, then Load. The graph's variables then take the
// checkpoint's values in place of their initialisers'.
func (m *Model) Load(dir string) error {
	if !Exists(dir) {
		return fmt.Errorf("classifier.Load: %w in %s (no checkpoint-*.json): train a model and Save it there first", ErrNoCheckpoint, dir)
	}
	if n := m.store.NumVariables(); n > 0 {
		return fmt.Errorf("classifier.Load: the model's store already holds %d variables: load into a model built on a new store (model.NewStore())", n)
	}
	if _, err := checkpoint.Load(m.store).Dir(dir).Immediate().Done(); err != nil {
		return fmt.Errorf("classifier.Load: reading checkpoint in %s: %w", dir, err)
	}
	return nil
}
