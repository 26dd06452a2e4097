package attack

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/cnn"
)

// TargetedMisclassification is the criterion of a targeted attack (Foolbox's
// name): pair i is adversarial when the model's prediction is Targets[i].
type TargetedMisclassification struct {
	Targets []int
	// Labels, optional, are the true classes of the images. When given, a
	// target equal to its image's label is rejected: it would not be an
	// attack.
	Labels []int
}

// IsAdversarial reports whether probabilities of pair i meet the criterion.
func (c TargetedMisclassification) IsAdversarial(i int, probabilities []float32) bool {
	return cnn.Argmax(probabilities) == c.Targets[i]
}

func (c TargetedMisclassification) validate(n int) error {
	if len(c.Targets) != n {
		return fmt.Errorf("attack: %d target classes for %d images: give one per image", len(c.Targets), n)
	}
	if c.Labels != nil && len(c.Labels) != n {
		return fmt.Errorf("attack: %d labels for %d images: give one per image, or none", len(c.Labels), n)
	}
	for i, t := range c.Targets {
		if t < 0 || t >= cnn.NumClasses {
			return fmt.Errorf("attack: target class %d of pair %d is outside 0..9", t, i)
		}
		if c.Labels != nil && t == c.Labels[i] {
			return fmt.Errorf("attack: target class %d of pair %d equals its true label: choose another class", t, i)
		}
	}
	return nil
}
