package cnn

import (
	"fmt"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Param names, in the store's root scope, under which a Model records its
// Config so that a checkpoint carries it.
const (
	ParamFilters  = "cnn_filters"
	ParamKernel   = "cnn_kernel"
	ParamPool     = "cnn_pool"
	ParamFilters2 = "cnn_filters2"
	ParamHidden   = "cnn_hidden"
	// The input's geometry, recorded only when it is not MNIST's.
	ParamRows     = "cnn_rows"
	ParamCols     = "cnn_cols"
	ParamChannels = "cnn_channels"
	ParamClasses  = "cnn_classes"
	// The network of the literature (Config.Arch), recorded only when it
	// is not Compact, by its name.
	ParamArch = "cnn_arch"
)

// Model is the article's CNN: a classifier.Model (its engine, its weights
// and what it predicts) built from a Config. It is safe for concurrent use.
type Model struct {
	*classifier.Model
	Config Config
}

// New creates a model with freshly initialised weights. The same seed gives
// the same weights.
func New(backend compute.Backend, cfg Config, seed int64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, fmt.Errorf("cnn.New: seeding the weights' initialisation: %w", err)
	}
	store.SetParams(map[string]any{ParamFilters: cfg.Filters, ParamKernel: cfg.Kernel, ParamPool: cfg.Pool,
		ParamFilters2: cfg.Filters2, ParamHidden: cfg.Hidden})
	if in := cfg.Input; in != (classifier.Geometry{}) {
		store.SetParams(map[string]any{ParamRows: in.Rows, ParamCols: in.Cols, ParamChannels: in.Channels, ParamClasses: in.Classes})
	}
	if cfg.Arch != Compact {
		store.SetParams(map[string]any{ParamArch: cfg.Arch.String()})
	}
	m, err := newModel(backend, cfg, store)
	if err != nil {
		return nil, fmt.Errorf("cnn.New: %w", err)
	}
	// Build the graph once so that the weights exist (and NumParams and
	// Summary can count them) before any training.
	if _, err := m.Predict(make([]float32, cfg.Geometry().Pixels())); err != nil {
		return nil, fmt.Errorf("cnn.New: initialising the weights: %w", err)
	}
	return m, nil
}

func newModel(backend compute.Backend, cfg Config, store *model.Store) (*Model, error) {
	c, err := classifier.New(backend, store, cfg.Geometry(), func(scope *model.Scope, images *Node) *Node {
		return Logits(scope, cfg, images)
	})
	if err != nil {
		return nil, err
	}
	return &Model{Model: c, Config: cfg}, nil
}

// NumParams counts the trainable parameters in the store's weights (the
// optimizer's state is not counted).
func (m *Model) NumParams() int {
	total := 0
	for v := range m.Store().Scope("/" + ScopeName).IterVariables() {
		if v.Trainable {
			total += v.Shape().Size()
		}
	}
	return total
}
