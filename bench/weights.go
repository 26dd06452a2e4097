package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/mnist"
)

// ModelExport describes a trained cnn.Model for the Python references (Keras
// and Foolbox rebuild the same network from it): its configuration, its
// weights as flat lists in GoMLX's layouts, which Keras shares, and the
// folder of the MNIST files. It marshals to the JSON they read.
type ModelExport struct {
	Config   map[string]int       `json:"config"`
	Weights  map[string][]float32 `json:"weights"` // conv_kernel, conv_bias, dense_kernel, dense_bias.
	MNISTDir string               `json:"mnist_dir"`
}

// ExportModel returns m's description for the Python references.
func ExportModel(m *cnn.Model) (*ModelExport, error) {
	e := &ModelExport{
		Config:  map[string]int{"filters": m.Config.Filters, "kernel": m.Config.Kernel, "pool": m.Config.Pool},
		Weights: map[string][]float32{},
	}
	for v := range m.Store().Scope("/" + cnn.ScopeName).IterVariables() {
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("bench: reading %s: %w", v.Path(), err)
		}
		layer, kind := "conv", "kernel"
		if strings.Contains(v.Path(), "/dense/") {
			layer = "dense"
		}
		if strings.HasSuffix(v.Path(), "biases") {
			kind = "bias"
		}
		e.Weights[layer+"_"+kind] = tensors.MustCopyFlatData[float32](value)
	}
	var err error
	if e.MNISTDir, err = mnist.GoMNISTDir(); err != nil {
		return nil, err
	}
	return e, nil
}

// WriteJSON writes v as JSON to path, creating its folder.
func WriteJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
