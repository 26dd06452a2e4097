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

// OpExport is one operation of a cnn network for the Python references that
// rebuild any configuration (auto_LiRPA's): its kind ("conv", "relu",
// "maxpool", "flatten", "dense"), size and kernel as cnn.Op has them, and
// for "conv" and "dense" the weights and biases as flat lists in GoMLX's
// layouts ([kernel, kernel, in, out] and [in, out]) with their dimensions.
type OpExport struct {
	Kind        string    `json:"kind"`
	Size        int       `json:"size,omitempty"`
	Kernel      int       `json:"kernel,omitempty"`
	Weights     []float32 `json:"weights,omitempty"`
	WeightsDims []int     `json:"weights_dims,omitempty"`
	Biases      []float32 `json:"biases,omitempty"`
}

// ExportOps returns m's network as the list of its operations
// (cnn.Config.Ops), with their weights: the one description of the network
// that package certify bounds, for a reference to rebuild.
func ExportOps(m *cnn.Model) ([]OpExport, error) {
	kinds := map[cnn.OpKind]string{cnn.OpConv: "conv", cnn.OpReLU: "relu", cnn.OpMaxPool: "maxpool", cnn.OpFlatten: "flatten", cnn.OpDense: "dense"}
	var out []OpExport
	for _, op := range m.Config.Ops() {
		name, ok := kinds[op.Kind]
		if !ok {
			return nil, fmt.Errorf("bench: operation kind %d has no export name: add it to ExportOps", op.Kind)
		}
		e := OpExport{Kind: name, Size: op.Size, Kernel: op.Kernel}
		if wPath, bPath := op.WeightPaths(); wPath != "" {
			for path, dst := range map[string]*[]float32{wPath: &e.Weights, bPath: &e.Biases} {
				v := m.Store().GetVariable(path)
				if v == nil {
					return nil, fmt.Errorf("bench: the model has no weights at %s", path)
				}
				value, err := v.Value()
				if err != nil {
					return nil, fmt.Errorf("bench: reading %s: %w", path, err)
				}
				*dst = tensors.MustCopyFlatData[float32](value)
				if path == wPath {
					e.WeightsDims = value.Shape().Dimensions
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}
