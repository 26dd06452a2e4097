package cnn

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"

	"github.com/advmlgo/advml/pkg/classifier"
)

// ErrNoCheckpoint is returned (wrapped) by Load when the folder holds no
// checkpoint.
var ErrNoCheckpoint = classifier.ErrNoCheckpoint

// Exists reports whether dir holds a checkpoint that Load can read (Save,
// classifier.Model's, writes one).
func Exists(dir string) bool { return classifier.Exists(dir) }

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
	if _, found := store.GetParam("/" + ParamRows); found {
		for name, dst := range map[string]*int{ParamRows: &cfg.Input.Rows, ParamCols: &cfg.Input.Cols, ParamChannels: &cfg.Input.Channels, ParamClasses: &cfg.Input.Classes} {
			value, _ := store.GetParam("/" + name)
			n, ok := asInt(value)
			if !ok {
				return nil, fmt.Errorf("cnn.Load: checkpoint in %s has the parameter %q = %v, not a count", dir, name, value)
			}
			*dst = n
		}
	}
	if value, found := store.GetParam("/" + ParamArch); found {
		name, _ := value.(string)
		arch, err := ParseArch(name)
		if err != nil {
			return nil, fmt.Errorf("cnn.Load: checkpoint in %s: %w", dir, err)
		}
		cfg.Arch = arch
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cnn.Load: checkpoint in %s: %w", dir, err)
	}
	// A checkpoint does not keep which variables are weights: those under
	// ScopeName are; the optimizer's state, the step and the random state
	// are not (and must not be trained as weights when training goes on).
	for v := range store.IterVariables() {
		v.Trainable = strings.HasPrefix(v.Path(), "/"+ScopeName+"/")
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
