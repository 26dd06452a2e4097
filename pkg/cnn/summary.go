package cnn

import (
	"fmt"
	"strings"
)

// Layer describes one layer of the network for Summary.
type Layer struct {
	Name, Type  string
	OutputShape []int // Without the batch axis.
	Params      int   // Trainable parameters.
}

// Layers lists the layers with their output shapes and, counted from the
// weights in the store, their trainable parameters.
func (m *Model) Layers() []Layer {
	c := m.Config
	count := func(scope string) int {
		total := 0
		for v := range m.Store().Scope("/" + ScopeName + "/" + scope).IterVariables() {
			if v.Trainable {
				total += v.Shape().Size()
			}
		}
		return total
	}
	if c.Arch != Compact {
		shapes, _ := c.Shapes()
		var out []Layer
		for k, op := range c.Ops() {
			switch op.Kind {
			case OpConv, OpDense:
				kind := map[OpKind]string{OpConv: "Conv2D", OpDense: "Dense"}[op.Kind]
				if k+1 < len(c.Ops()) && c.Ops()[k+1].Kind == OpReLU {
					kind += " + ReLU"
				}
				out = append(out, Layer{op.Scope, kind, shapes[k], count(op.Scope)})
			case OpMaxPool:
				out = append(out, Layer{fmt.Sprintf("max_pooling2d_%d", k), "MaxPooling2D", shapes[k], 0})
			case OpFlatten:
				out = append(out, Layer{"flatten", "Flatten", shapes[k], 0})
			}
		}
		return out
	}
	convRows, convCols := c.ConvSize()
	poolRows, poolCols := c.PoolSize()
	if c.deep() {
		conv2Rows, conv2Cols := c.conv2Size()
		pool2Rows, pool2Cols := c.pool2Size()
		return []Layer{
			{"conv2d", "Conv2D + ReLU", []int{convRows, convCols, c.Filters}, count("conv2d")},
			{"max_pooling2d", "MaxPooling2D", []int{poolRows, poolCols, c.Filters}, 0},
			{"conv2d_2", "Conv2D + ReLU", []int{conv2Rows, conv2Cols, c.Filters2}, count("conv2d_2")},
			{"max_pooling2d_2", "MaxPooling2D", []int{pool2Rows, pool2Cols, c.Filters2}, 0},
			{"flatten", "Flatten", []int{c.Features()}, 0},
			{"hidden", "Dense + ReLU", []int{c.Hidden}, count("hidden")},
			{"dense", "Dense", []int{c.classes()}, count("dense")},
		}
	}
	return []Layer{
		{"conv2d", "Conv2D", []int{convRows, convCols, c.Filters}, count("conv2d")},
		{"max_pooling2d", "MaxPooling2D", []int{poolRows, poolCols, c.Filters}, 0},
		{"flatten", "Flatten", []int{c.Features()}, 0},
		{"dense", "Dense", []int{c.classes()}, count("dense")},
	}
}

// Summary renders the layers in the manner of Keras' model.summary().
func (m *Model) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %q (%s)\n", ScopeName, m.Config)
	line := strings.Repeat("─", 62)
	fmt.Fprintf(&b, "%s\n%-30s %-20s %10s\n%s\n", line, "Layer (type)", "Output Shape", "Param #", line)
	total := 0
	for _, l := range m.Layers() {
		dims := make([]string, len(l.OutputShape))
		for i, d := range l.OutputShape {
			dims[i] = fmt.Sprint(d)
		}
		shape := "(None, " + strings.Join(dims, ", ") + ")"
		fmt.Fprintf(&b, "%-30s %-20s %10s\n", l.Name+" ("+l.Type+")", shape, thousands(l.Params))
		total += l.Params
	}
	fmt.Fprintf(&b, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: 0\n",
		line, thousands(total), thousands(total))
	return b.String()
}

// thousands formats n with comma separators, as Keras does.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
