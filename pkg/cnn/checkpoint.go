package cnn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// ErrNoCheckpoint is returned (wrapped) by Load when the folder holds no
// checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Save writes the model (weights, optimizer state and Config) as a GoMLX
// checkpoint into dir. It writes into a new folder beside dir and swaps it
// in only once complete, so a failed save leaves an earlier checkpoint whole.
func (m *Model) Save(dir string) error {
	if dir == "" {
		return fmt.Errorf("cnn.Save: empty checkpoint folder name")
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("cnn.Save: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".saving-")
	if err != nil {
		return fmt.Errorf("cnn.Save: %w", err)
	}
	defer os.RemoveAll(tmp) // Gone once renamed; cleans up after a failure.
	h, err := checkpoint.Build(m.Store()).Dir(tmp).Keep(1).Done()
	if err == nil {
		err = h.Save()
	}
	if err != nil {
		return fmt.Errorf("cnn.Save: writing checkpoint in %s: %w", tmp, err)
	}
	old := tmp + ".old"
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("cnn.Save: moving the previous checkpoint aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir) // Put the previous one back.
		return fmt.Errorf("cnn.Save: %w", err)
	}
	return os.RemoveAll(old)
}

// Exists reports whether dir holds a checkpoint that Load can read.
func Exists(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	return len(matches) > 0
}

// Load reads a model saved by Save from dir, to run on backend.
func Load(backend compute.Backend, dir string) (*Model, error) {
	if backend == nil {
		return nil, fmt.Errorf("cnn.Load: backend is nil: create one with backend.New()")
	}
	if !Exists(dir) {
		return nil, fmt.Errorf("cnn.Load: %w in %s (no checkpoint-*.json): train a model and Save it there first", ErrNoCheckpoint, dir)
	}
	store := model.NewStore()
	if _, err := checkpoint.Load(store).Dir(dir).Immediate().Done(); err != nil {
		return nil, fmt.Errorf("cnn.Load: reading checkpoint in %s: %w", dir, err)
	}
	var cfg Config
	for name, dst := range map[string]*int{ParamFilters: &cfg.Filters, ParamKernel: &cfg.Kernel, ParamPool: &cfg.Pool,
		ParamFilters2: &cfg.Filters2, ParamHidden: &cfg.Hidden} {
		value, found := store.GetParam("/" + name)
		if !found && (name == ParamFilters2 || name == ParamHidden) {
			continue // Saved before the deeper network existed: the article's.
		}
		n, ok := asInt(value)
		if !found || !ok {
			return nil, fmt.Errorf("cnn.Load: checkpoint in %s lacks the parameter %q: it was not saved by cnn.Model.Save", dir, name)
		}
		*dst = n
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cnn.Load: checkpoint in %s: %w", dir, err)
	}
	m, err := newModel(backend, cfg, store)
	if err != nil {
		return nil, fmt.Errorf("cnn.Load: %w", err)
	}
	if got, want := m.NumParams(), cfg.NumParams(); got != want {
		return nil, fmt.Errorf("cnn.Load: checkpoint in %s holds %d weights, but its config %s needs %d", dir, got, cfg, want)
	}
	return m, nil
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case int32:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}
