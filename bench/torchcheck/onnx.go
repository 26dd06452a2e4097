package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute-onnx/support/protos"
	"google.golang.org/protobuf/proto"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/onnxmodel"
	"github.com/advmlgo/advml/pkg/robustness"
)

// The imported PyTorch model both sides attack: ours through its ONNX
// export (pkg/onnxmodel), torchattacks on the PyTorch network itself, its
// weights read from the same file. Its normalisation is part of both.
const (
	onnxModelPath  = "models/mnist_torch.onnx"
	pgdTolerancePP = 1.0 // PGD's robust accuracy, in percentage points.
)

var onnxMean, onnxStd = []float64{0.1307}, []float64{0.3081}

// ONNXSpec is the imported model's part of the export; N 0 skips it.
type ONNXSpec struct {
	Model    string             `json:"model"`
	Mean     []float64          `json:"mean"`
	Std      []float64          `json:"std"`
	Weights  map[string]Weights `json:"weights"` // The ONNX file's initializers, by name (the PyTorch state_dict's).
	N        int                `json:"n"`
	Epsilon  float64            `json:"epsilon"`
	Seed     int64              `json:"seed"`
	PGDSteps int                `json:"pgd_steps"`
	PGDAlpha float64            `json:"pgd_alpha"` // The absolute step.
}

// Weights is one tensor, row-major.
type Weights struct {
	Dims   []int     `json:"dims"`
	Values []float32 `json:"values"`
}

// TheirONNX is torch_reference.py's side for the imported model.
type TheirONNX struct {
	Predictions []int            `json:"predictions"`
	PGD         []bool           `json:"pgd"` // Still classified right after PGD.
	AutoAttack  *TheirAutoAttack `json:"autoattack"`
}

// ONNXComparison is the imported model's part of the JSON line.
type ONNXComparison struct {
	N               int                   `json:"n_images"`
	Epsilon         float64               `json:"epsilon"`
	SamePredictions bool                  `json:"same_predictions"`
	PGD             float64               `json:"pgd_robust_accuracy"`
	PGDTorch        float64               `json:"pgd_robust_accuracy_torch"`
	AutoAttack      *AutoAttackComparison `json:"autoattack"`
	Agree           bool                  `json:"agree"`
}

// onnxSettings are the imported model's settings on both sides, without
// the weights.
func onnxSettings(n int, eps float64, seed int64) ONNXSpec {
	return ONNXSpec{Model: onnxModelPath, Mean: onnxMean, Std: onnxStd, N: n, Epsilon: eps, Seed: seed, PGDSteps: 100, PGDAlpha: 2.5 * eps / 100}
}

// onnxSpec is onnxSettings with the model's initializers, for the export.
func onnxSpec(n int, eps float64, seed int64) (ONNXSpec, error) {
	s := onnxSettings(n, eps, seed)
	data, err := os.ReadFile(onnxModelPath)
	if err != nil {
		return s, err
	}
	var mp protos.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return s, fmt.Errorf("%s: %w", onnxModelPath, err)
	}
	s.Weights = map[string]Weights{}
	for _, t := range mp.GetGraph().GetInitializer() {
		if t.DataType != int32(protos.TensorProto_FLOAT) {
			return s, fmt.Errorf("%s: initializer %s is not float32", onnxModelPath, t.Name)
		}
		w := Weights{Values: t.FloatData}
		count := 1
		for _, d := range t.Dims {
			w.Dims = append(w.Dims, int(d))
			count *= int(d)
		}
		if len(t.RawData) > 0 {
			if len(t.RawData) != 4*count {
				return s, fmt.Errorf("%s: initializer %s holds %d bytes for %v", onnxModelPath, t.Name, len(t.RawData), w.Dims)
			}
			w.Values = make([]float32, count)
			for i := range w.Values {
				w.Values[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
			}
		}
		s.Weights[t.Name] = w
	}
	return s, nil
}

// compareONNX runs our PGD and AutoAttack on the imported model and sets
// them beside torchattacks' on the PyTorch network.
func compareONNX(b compute.Backend, images []float32, labels []int, spec ONNXSpec, theirs *TheirONNX) (*ONNXComparison, error) {
	n := spec.N
	if theirs == nil || len(theirs.Predictions) != n || len(theirs.PGD) != n || theirs.AutoAttack == nil {
		return nil, fmt.Errorf("torch_reference.py's imported-model part does not cover %d images: rerun make crosscheck", n)
	}
	mean, std := make([]float32, len(spec.Mean)), make([]float32, len(spec.Std))
	for i := range mean {
		mean[i] = float32(spec.Mean[i])
	}
	for i := range std {
		std[i] = float32(spec.Std[i])
	}
	m, err := onnxmodel.Load(b, spec.Model, onnxmodel.Options{Mean: mean, Std: std})
	if err != nil {
		return nil, err
	}
	classes, _, err := m.Classify(images)
	if err != nil {
		return nil, err
	}
	c := &ONNXComparison{N: n, Epsilon: spec.Epsilon, SamePredictions: true}
	for i := range classes {
		c.SamePredictions = c.SamePredictions && classes[i] == theirs.Predictions[i]
	}
	pgd := attack.NewPGD(attack.Linf)
	pgd.Steps, pgd.StepSize, pgd.LastIterate, pgd.Seed = spec.PGDSteps, spec.PGDAlpha, true, spec.Seed
	res, err := pgd.Run(m, images, attack.Misclassification{Labels: labels}, spec.Epsilon)
	if err != nil {
		return nil, err
	}
	robust, robustTorch := 0, 0
	for i := range n {
		if classes[i] == labels[i] && !res.Success[0][i] {
			robust++
		}
		if theirs.PGD[i] {
			robustTorch++
		}
	}
	c.PGD, c.PGDTorch = float64(robust)/float64(n), float64(robustTorch)/float64(n)
	r, err := robustness.AutoAttack(m, images, labels, attack.Linf, spec.Epsilon, spec.Seed)
	if err != nil {
		return nil, err
	}
	c.AutoAttack = compareAutoAttackReports(r, theirs.AutoAttack)
	c.Agree = c.SamePredictions && math.Abs(c.PGD-c.PGDTorch)*100 <= pgdTolerancePP+1e-9 && c.AutoAttack.Agree
	return c, nil
}

func (c *ONNXComparison) print(version string) {
	fmt.Fprintf(os.Stderr, "The imported PyTorch model (%s) at L∞ ε = %g on the first %d test images: ours on its ONNX export, torchattacks %s on the PyTorch network\n", onnxModelPath, c.Epsilon, c.N, version)
	fmt.Fprintf(os.Stderr, "same predictions: %v\n", c.SamePredictions)
	fmt.Fprintf(os.Stderr, "%-22s %9.2f%% %13.2f%%\n", "PGD-100 (last iterate)", 100*c.PGD, 100*c.PGDTorch)
	c.AutoAttack.print(version)
}
