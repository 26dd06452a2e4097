package training

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// average is the running mean of a model's weights over the epochs from
// Options.AverageFrom on (stochastic weight averaging, Izmailov et al.
// 2018), kept on the host: one mean per trainable variable and the number
// of epochs it averages.
type average struct {
	n    int
	mean weights
}

// add takes the model's weights after one more epoch into the mean.
func (a *average) add(m Model) error {
	w, err := snapshot(m)
	if err != nil {
		return err
	}
	if a.n == 0 {
		a.mean, a.n = w, 1
		return nil
	}
	a.n++
	for v, value := range w {
		mean, ok := a.mean[v]
		if !ok {
			return fmt.Errorf("training: averaging weights: %s is not in the average", v.Path())
		}
		x, err := tensors.CopyFlatData[float32](value)
		if err != nil {
			return fmt.Errorf("training: averaging weights %s (%s): only float32 weights can be averaged: %w", v.Path(), value.DType(), err)
		}
		n := float32(a.n)
		err = tensors.MutableFlatData(mean, func(flat []float32) {
			for i := range flat {
				flat[i] += (x[i] - flat[i]) / n
			}
		})
		if err != nil {
			return fmt.Errorf("training: averaging weights %s: %w", v.Path(), err)
		}
	}
	return nil
}

// swapIn takes the model's weights into the mean, as add does, and puts the
// mean in their place; it returns the weights it replaced, which the
// training goes on from.
func (a *average) swapIn(m Model) (training weights, err error) {
	if err := a.add(m); err != nil {
		return nil, err
	}
	if training, err = snapshot(m); err != nil {
		return nil, err
	}
	return training, a.restore()
}

// restore gives the model copies of the mean (the model's steps must not
// change the mean).
func (a *average) restore() error {
	for v, mean := range a.mean {
		value, err := mean.Clone()
		if err == nil {
			err = v.SetValue(value)
		}
		if err != nil {
			return fmt.Errorf("training: setting the averaged weights %s: %w", v.Path(), err)
		}
	}
	return nil
}
