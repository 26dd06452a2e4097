package attack

import (
	"fmt"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Criterion says when an image is adversarial (Foolbox's criteria):
// Misclassification or TargetedMisclassification.
type Criterion interface {
	// IsAdversarial reports whether the model's probabilities (or logits:
	// only their argmax counts) for image i meet the criterion.
	IsAdversarial(i int, probabilities []float32) bool
	// Targeted tells whether the criterion asks for given classes.
	Targeted() bool
	// Classes returns, per image, the class the attack pushes towards
	// (targeted) or away from (untargeted).
	Classes() []int
	// TrueLabels returns the images' true classes, or nil when not known.
	TrueLabels() []int
	validate(n, numClasses int) error
}

// Misclassification is the untargeted criterion: image i is adversarial when
// the model predicts anything but Labels[i]. An image the model already
// misclassifies is adversarial as it is.
type Misclassification struct {
	Labels []int
}

// IsAdversarial reports whether the argmax of probabilities differs from Labels[i].
func (c Misclassification) IsAdversarial(i int, probabilities []float32) bool {
	return classifier.Argmax(probabilities) != c.Labels[i]
}

// Targeted is false.
func (c Misclassification) Targeted() bool { return false }

// Classes returns Labels.
func (c Misclassification) Classes() []int { return c.Labels }

// TrueLabels returns Labels.
func (c Misclassification) TrueLabels() []int { return c.Labels }

func (c Misclassification) validate(n, numClasses int) error {
	if len(c.Labels) != n {
		return fmt.Errorf("attack: %d labels for %d images: give one per image", len(c.Labels), n)
	}
	return checkClasses("label", c.Labels, numClasses)
}

// TargetedMisclassification is the targeted criterion: image i is
// adversarial when the model predicts Targets[i].
type TargetedMisclassification struct {
	Targets []int
	// Labels, optional, are the true classes of the images. When given, a
	// target equal to its image's label is rejected: it would not be an
	// attack.
	Labels []int
}

// IsAdversarial reports whether the argmax of probabilities is Targets[i].
func (c TargetedMisclassification) IsAdversarial(i int, probabilities []float32) bool {
	return classifier.Argmax(probabilities) == c.Targets[i]
}

// Targeted is true.
func (c TargetedMisclassification) Targeted() bool { return true }

// Classes returns Targets.
func (c TargetedMisclassification) Classes() []int { return c.Targets }

// TrueLabels returns Labels (nil when not given).
func (c TargetedMisclassification) TrueLabels() []int { return c.Labels }

func (c TargetedMisclassification) validate(n, numClasses int) error {
	if len(c.Targets) != n {
		return fmt.Errorf("attack: %d target classes for %d images: give one per image", len(c.Targets), n)
	}
	if c.Labels != nil && len(c.Labels) != n {
		return fmt.Errorf("attack: %d labels for %d images: give one per image, or none", len(c.Labels), n)
	}
	if err := checkClasses("target class", c.Targets, numClasses); err != nil {
		return err
	}
	if c.Labels != nil {
		if err := checkClasses("label", c.Labels, numClasses); err != nil {
			return err
		}
		for i, t := range c.Targets {
			if t == c.Labels[i] {
				return fmt.Errorf("attack: target class %d of image %d equals its true label: choose another class", t, i)
			}
		}
	}
	return nil
}

func checkClasses(what string, classes []int, numClasses int) error {
	if err := classifier.CheckClasses(what, classes, numClasses); err != nil {
		return fmt.Errorf("attack: %w", err)
	}
	return nil
}
