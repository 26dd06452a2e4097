package cnn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Evaluate returns the mean cross-entropy loss and the accuracy of the model
// on images (flat, n×784) with their labels, as Keras' model.evaluate does.
func (m *Model) Evaluate(images []float32, labels []int) (meanLoss, accuracy float64, err error) {
	n, err := CountImages(images)
	if err != nil {
		return 0, 0, fmt.Errorf("cnn.Evaluate: %w", err)
	}
	if len(labels) != n {
		return 0, 0, fmt.Errorf("cnn.Evaluate: %d images but %d labels", n, len(labels))
	}
	labels32 := make([]int32, n)
	for i, l := range labels {
		if l < 0 || l >= NumClasses {
			return 0, 0, fmt.Errorf("cnn.Evaluate: label %d of example %d is outside 0..9", l, i)
		}
		labels32[i] = int32(l)
	}
	m.muPredict.Lock()
	if m.evaluate == nil {
		// Sums of the per-example losses and of the correct predictions of a batch.
		m.evaluate, err = model.NewExec(m.Backend, m.Store, func(scope *model.Scope, x, y *Node) (*Node, *Node) {
			logits := Logits(scope, m.Config, x)
			labels := Reshape(y, -1)
			// Cross-entropy per example: -log softmax(logits)[label].
			oneHot := OneHot(labels, NumClasses, logits.DType())
			lossSum := Neg(ReduceAllSum(Mul(oneHot, LogSoftmax(logits))))
			predicted := ConvertDType(ArgMax(logits, -1), y.DType())
			correct := ConvertDType(Equal(predicted, labels), logits.DType())
			return lossSum, ReduceAllSum(correct)
		})
	}
	exec := m.evaluate
	m.muPredict.Unlock()
	if err != nil {
		return 0, 0, fmt.Errorf("cnn.Evaluate: %w", err)
	}
	var lossSum, correctSum float64
	err = inBatches(images, n, func(start, end int, x *tensors.Tensor) error {
		y := tensors.FromFlatDataAndDimensions(labels32[start:end], end-start, 1)
		out, err := exec.Call(x, y)
		y.MustFinalizeAll()
		if err != nil {
			return err
		}
		lossSum += float64(tensors.ToScalar[float32](out[0]))
		correctSum += float64(tensors.ToScalar[float32](out[1]))
		out[0].MustFinalizeAll()
		out[1].MustFinalizeAll()
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("cnn.Evaluate: %w", err)
	}
	return lossSum / float64(n), correctSum / float64(n), nil
}
