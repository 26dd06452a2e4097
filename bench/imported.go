package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
)

// The imported-model workloads `make bench` times on both sides: the
// PyTorch model of models/ (models/train_torch_mnist.py), read by us from
// its ONNX export (pkg/onnxmodel) and attacked by torchattacks 3.5.1 on the
// PyTorch network itself, its weights read from the same file
// (torch_reference.py --speed, which reads these settings from the export).
// Both sides take pixels in [0, 1] and normalise them as the model's JSON
// says, and both send the images in batches of classifier.BatchSize.
const (
	ImportedModel   = "models/mnist_torch.onnx" // From the repository root.
	ImportedImages  = 1000                      // PGD-40 L∞ at ImportedEpsilon, the first test images.
	ImportedEpsilon = 0.1
	ForwardImages   = 10000 // The forward pass: all the test images, pixels to probabilities.
)

// ImportedPGD is the imported model's PGD: 40 steps of ε/30 from a random
// start (SpeedPGD's settings). With lastIterate every image runs all 40
// steps, as torchattacks' PGD does (it never stops early): the equal-work
// row; without it, each image stops at its first adversarial iterate, our
// default.
func ImportedPGD(lastIterate bool) *attack.PGD {
	a := SpeedPGD()
	a.LastIterate = lastIterate
	return a
}

// ImportedNormalisation reads the model's mean and standard deviation from
// the JSON beside its ONNX file (one definition: what its training script
// wrote), root being the repository's root.
func ImportedNormalisation(root string) (mean, std []float32, err error) {
	path := filepath.Join(root, strings.TrimSuffix(ImportedModel, ".onnx")+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var recipe struct{ Mean, Std []float32 }
	if err := json.Unmarshal(data, &recipe); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recipe.Mean) == 0 || len(recipe.Mean) != len(recipe.Std) {
		return nil, nil, fmt.Errorf("%s: mean %v and std %v: give one value of each per channel", path, recipe.Mean, recipe.Std)
	}
	return recipe.Mean, recipe.Std, nil
}

// ImportedSettings is what torch_reference.py --speed reads from the
// export, root being the repository's root.
func ImportedSettings(root string) (map[string]any, error) {
	mean, std, err := ImportedNormalisation(root)
	if err != nil {
		return nil, err
	}
	pgd := ImportedPGD(true).WithDefaults()
	return map[string]any{
		"model": ImportedModel, "mean": mean, "std": std, "batch": classifier.BatchSize,
		"pgd": map[string]any{"n": ImportedImages, "epsilon": ImportedEpsilon, "steps": pgd.Steps,
			"step_size": pgd.RelStepSize * ImportedEpsilon, "random_start": !pgd.NoRandomStart},
		"forward_images": ForwardImages,
	}, nil
}
