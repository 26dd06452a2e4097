package training

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
)

// Adversarial training modes, the values of Adversary.Mode.
const (
	// ModePGD trains on projected-gradient-descent examples (Madry et al.
	// 2018): from a random point of the ε-ball, Steps steps of StepSize along
	// the sign of the loss gradient, each projected back into the ball.
	ModePGD = "pgd"
	// ModeFastFGSM trains on one signed-gradient step of StepSize from a
	// random point of the ε-ball, projected back into it (Wong, Rice and
	// Kolter 2020, "Fast is better than free").
	ModeFastFGSM = "fast-fgsm"
	// ModeTRADES trains on TRADES' objective (Zhang et al. 2019): the
	// cross-entropy of the clean examples plus Beta times the KL divergence
	// from the model's clean output to its output on an example that
	// maximises that divergence, found by Steps signed steps of StepSize
	// from the clean image plus 0.001·N(0, 1), projected into the ε-ball.
	ModeTRADES = "trades"
	// ModeIBP trains on interval bounds (Gowal et al. 2018): the loss mixes
	// the clean cross-entropy, weight κ, with the cross-entropy of the
	// worst-case logits that the bounds allow within Epsilon (package
	// certify), weight 1 − κ. Over the warm-up epochs ε grows from 0 and κ
	// falls from 1 to Kappa; no attack runs. The robust validation accuracy
	// is then the certified accuracy at ValidationEpsilon.
	ModeIBP = "ibp"
	// ModeCROWNIBP is ModeIBP with CROWN-IBP's tighter margins mixed into
	// the worst case (Zhang et al. 2020; certify.WorstCaseLogitsCROWNIBP):
	// their weight β falls from 1 to 0 over the warm-up, so training starts
	// on the tighter bounds and ends on IBP's. The robust validation
	// accuracy is certify.CROWNIBP's certified accuracy.
	ModeCROWNIBP = "crown-ibp"
)

// Adversary tells Train to train on adversarial examples: each mini-batch
// is replaced, inside the compiled training step, by its examples within
// Epsilon (L∞) of the batch and within [0, 1], made by the attack of Mode
// against the weights of that step. The zero Adversary trains on clean
// examples.
//
// With an Adversary, the epoch's training loss and accuracy are those on
// the adversarial examples, and after each epoch Train measures the robust
// accuracy of the first ValidationImages validation images under PGD with
// ValidationSteps steps of 2.5ε/ValidationSteps from a random start.
// Early stopping and RestoreBestWeights then follow the robust accuracy
// (the highest is best; an epoch improves when it beats the best by more
// than Options.MinDelta) instead of the validation loss, as Wong et al.
// advise against fast FGSM's sudden collapse.
type Adversary struct {
	Mode     string  // "" (clean training), ModePGD, ModeFastFGSM or ModeTRADES.
	Epsilon  float64 // L∞ budget per pixel, in (0, 1].
	Steps    int     // Attack steps per batch: at least 1 for ModePGD, 1 (or 0) for ModeFastFGSM.
	StepSize float64 // Size of each step, positive.
	// ValidationImages is how many validation images (the first ones) the
	// robust accuracy is measured on after each epoch; at least 1.
	ValidationImages int
	// ValidationSteps is the steps of the validation PGD; at least 1.
	ValidationSteps int
	// WarmupEpochs, when positive, grows the budget (and the step) linearly
	// from 0 to Epsilon over the first WarmupEpochs epochs, step by step;
	// early stopping waits until they are over. Without it, PGD training at
	// ε = 0.3 from random weights can settle on predicting one class (the
	// attack wins every batch, so nothing is learnt).
	WarmupEpochs int
	// Beta weighs TRADES' robustness term against the clean cross-entropy
	// (ModeTRADES only; positive there, 0 elsewhere).
	Beta float64
	// Kappa is the weight of the clean loss that ModeIBP ends its warm-up
	// with, in [0, 1) (0.5 in IBPTraining); 0 elsewhere.
	Kappa float64
	// ValidationEpsilon is the budget of the robust validation (0:
	// Epsilon). IBP trains above the budget it is measured at.
	ValidationEpsilon float64
	// Fraction is the share of each batch (its first ⌊Fraction·batch⌋
	// images, on each device) that ModePGD and ModeFastFGSM replace by
	// adversarial examples; the rest trains clean. 0 means 1, every image,
	// as Madry et al. train; Croce et al.'s Fashion-MNIST anchors attack
	// half of each batch (0.5).
	Fraction float64
	// AWP, when positive, is the size γ of Wu, Xia and Wang's adversarial
	// weight perturbation (2020, "Adversarial Weight Perturbation Helps
	// Robust Generalization"; 0.005 in their recipes): after each batch's
	// attack, every weight tensor of the model (not the biases) is moved by
	// γ times its own norm along the normalised gradient of the training
	// loss on the batch's examples, the step's gradient is taken at the
	// moved weights, and the move is undone after the optimizer's update.
	// ModePGD, ModeFastFGSM and ModeTRADES only; 0 trains without it.
	AWP float64
}

// PGDTraining is Madry et al.'s adversary for MNIST: 40 steps of ε/30 (0.01
// at ε = 0.3) from a random start, validated by PGD-20 on 1,000 images,
// with no warm-up.
func PGDTraining(epsilon float64) Adversary {
	return Adversary{Mode: ModePGD, Epsilon: epsilon, Steps: 40, StepSize: epsilon / 30,
		ValidationImages: 1000, ValidationSteps: 20}
}

// FastFGSMTraining is Wong et al.'s adversary: one step of 1.25ε from a
// uniformly random start in the ε-ball, validated by PGD-20 on 1,000
// images.
func FastFGSMTraining(epsilon float64) Adversary {
	return Adversary{Mode: ModeFastFGSM, Epsilon: epsilon, Steps: 1, StepSize: 1.25 * epsilon,
		ValidationImages: 1000, ValidationSteps: 20}
}

// TRADESTraining is TRADES' adversary for MNIST as its authors train it:
// 40 steps of 0.01 at ε = 0.3 (ε/30 in general), β = 1, validated by
// PGD-20 on 1,000 images.
func TRADESTraining(epsilon float64) Adversary {
	return Adversary{Mode: ModeTRADES, Epsilon: epsilon, Steps: 40, StepSize: epsilon / 30, Beta: 1,
		ValidationImages: 1000, ValidationSteps: 20}
}

// IBPTraining is Gowal et al.'s interval bound training for MNIST: trained
// at 4/3 of the budget it is validated at (0.4 for 0.3), κ falling to 0.5,
// validated by the certified accuracy on 1,000 images; set WarmupEpochs
// for the ramp (they ramp over about a tenth of their training).
func IBPTraining(epsilon float64) Adversary {
	return Adversary{Mode: ModeIBP, Epsilon: math.Min(1, epsilon*4/3), Kappa: 0.5, ValidationEpsilon: epsilon,
		ValidationImages: 1000, ValidationSteps: 1}
}

// CROWNIBPTraining is IBPTraining with Mode ModeCROWNIBP.
func CROWNIBPTraining(epsilon float64) Adversary {
	a := IBPTraining(epsilon)
	a.Mode = ModeCROWNIBP
	return a
}

// bounded tells whether a trains on bounds (IBP or CROWN-IBP) instead of
// attacks.
func (a Adversary) bounded() bool { return a.Mode == ModeIBP || a.Mode == ModeCROWNIBP }

// validationEpsilon is the budget of the robust validation.
func (a Adversary) validationEpsilon() float64 {
	if a.ValidationEpsilon > 0 {
		return a.ValidationEpsilon
	}
	return a.Epsilon
}

// Active tells whether a trains on adversarial examples.
func (a Adversary) Active() bool { return a.Mode != "" }

// String describes the adversary, e.g. "PGD, ε 0.3, 40 steps of 0.01".
func (a Adversary) String() string {
	var s string
	switch a.Mode {
	case "":
		return "clean training"
	case ModeFastFGSM:
		s = fmt.Sprintf("fast FGSM, ε %g, one step of %.4g from a random start", a.Epsilon, a.StepSize)
	case ModeTRADES:
		s = fmt.Sprintf("TRADES, β %g, ε %g, %d steps of %.4g", a.Beta, a.Epsilon, a.Steps, a.StepSize)
	case ModeIBP:
		s = fmt.Sprintf("IBP, ε %.4g, κ to %g", a.Epsilon, a.Kappa)
	case ModeCROWNIBP:
		s = fmt.Sprintf("CROWN-IBP, ε %.4g, κ to %g, β from 1 to 0", a.Epsilon, a.Kappa)
	default:
		s = fmt.Sprintf("PGD, ε %g, %d steps of %.4g from a random start", a.Epsilon, a.Steps, a.StepSize)
	}
	if a.Fraction > 0 && a.Fraction < 1 {
		s += fmt.Sprintf(" on %g of each batch", a.Fraction)
	}
	if a.WarmupEpochs > 0 {
		s += fmt.Sprintf(", %d warm-up epochs", a.WarmupEpochs)
	}
	if a.AWP > 0 {
		s += fmt.Sprintf(", weights perturbed by γ %g (AWP)", a.AWP)
	}
	return s
}

func (a Adversary) validate() error {
	const hint = " (training.PGDTraining(0.3), FastFGSMTraining(0.3) and TRADESTraining(0.3) hold working settings)"
	switch {
	case a.Mode == "":
		if a != (Adversary{}) {
			return fmt.Errorf("training: the Adversary has settings (%+v) but no Mode: set Mode to %q, %q or %q, or leave the Adversary zero for clean training",
				a, ModePGD, ModeFastFGSM, ModeTRADES)
		}
		return nil
	case a.Mode != ModePGD && a.Mode != ModeFastFGSM && a.Mode != ModeTRADES && !a.bounded():
		return fmt.Errorf("training: unknown adversarial Mode %q: use %q, %q, %q, %q, %q or \"\" for clean training",
			a.Mode, ModePGD, ModeFastFGSM, ModeTRADES, ModeIBP, ModeCROWNIBP)
	case !(a.Epsilon > 0 && a.Epsilon <= 1):
		return fmt.Errorf("training: adversarial Epsilon is %g: use a budget in (0, 1], such as 0.3%s", a.Epsilon, hint)
	case a.bounded() && (a.Steps != 0 || a.StepSize != 0):
		return fmt.Errorf("training: %s runs no attack, yet Steps is %d and StepSize %g: set both to 0", strings.ToUpper(a.Mode), a.Steps, a.StepSize)
	case a.bounded() && !(a.Kappa >= 0 && a.Kappa < 1):
		return fmt.Errorf("training: %s's Kappa is %g: use a weight in [0, 1) (0.5 in IBPTraining)", strings.ToUpper(a.Mode), a.Kappa)
	case !a.bounded() && a.Kappa != 0:
		return fmt.Errorf("training: Kappa (%g) weighs IBP's clean loss, but the Mode is %q: set Kappa to 0 or Mode to %q", a.Kappa, a.Mode, ModeIBP)
	case !(a.ValidationEpsilon >= 0 && a.ValidationEpsilon <= 1):
		return fmt.Errorf("training: ValidationEpsilon is %g: use a budget in (0, 1], or 0 for Epsilon", a.ValidationEpsilon)
	case a.Mode != ModeFastFGSM && !a.bounded() && a.Steps < 1:
		return fmt.Errorf("training: %s training with %d Steps: use at least 1%s", a.Mode, a.Steps, hint)
	case a.Mode == ModeTRADES && (!(a.Beta > 0) || math.IsInf(a.Beta, 1)):
		return fmt.Errorf("training: TRADES' Beta is %g: use a positive weight (1 in TRADESTraining)", a.Beta)
	case a.Mode != ModeTRADES && a.Beta != 0:
		return fmt.Errorf("training: Beta (%g) weighs TRADES' term, but the Mode is %q: set Beta to 0 or Mode to %q", a.Beta, a.Mode, ModeTRADES)
	case !(a.Fraction >= 0 && a.Fraction <= 1):
		return fmt.Errorf("training: adversarial Fraction is %g: use a share of the batch in (0, 1], or 0 for all of it", a.Fraction)
	case a.Fraction != 0 && a.Fraction != 1 && a.Mode != ModePGD && a.Mode != ModeFastFGSM:
		return fmt.Errorf("training: Fraction (%g) attacks part of each batch, which %s does not do: set Fraction to 0, or Mode to %q", a.Fraction, strings.ToUpper(a.Mode), ModePGD)
	case a.Mode == ModeFastFGSM && a.Steps > 1:
		return fmt.Errorf("training: fast FGSM takes one step, Steps is %d: set it to 1, or use Mode %q for several", a.Steps, ModePGD)
	case !a.bounded() && (!(a.StepSize > 0) || math.IsInf(a.StepSize, 1)):
		return fmt.Errorf("training: adversarial StepSize is %g: use a positive size%s", a.StepSize, hint)
	case a.ValidationImages < 1:
		return fmt.Errorf("training: adversarial ValidationImages is %d: measure robust accuracy on at least 1 image (1000 is the default)%s",
			a.ValidationImages, hint)
	case a.ValidationSteps < 1:
		return fmt.Errorf("training: adversarial ValidationSteps is %d: use at least 1 (20 is the default)%s", a.ValidationSteps, hint)
	case !(a.AWP >= 0 && a.AWP < 1):
		return fmt.Errorf("training: AWP is %g: use a relative weight perturbation in [0, 1), such as 0.005, or 0 for none", a.AWP)
	case a.bounded() && a.AWP != 0:
		return fmt.Errorf("training: AWP (%g) perturbs the weights against an attack's examples, and %s runs no attack: set AWP to 0, or Mode to %q", a.AWP, strings.ToUpper(a.Mode), ModeTRADES)
	case a.WarmupEpochs < 0:
		return fmt.Errorf("training: adversarial WarmupEpochs is %d: use 0 (no warm-up) or more epochs", a.WarmupEpochs)
	}
	return nil
}

// steps is how many attack steps a batch takes.
func (a Adversary) steps() int {
	if a.Mode == ModeFastFGSM {
		return 1
	}
	return a.Steps
}

// examples builds, inside a training step's graph, the adversarial examples
// of images ([B, rows, cols, channels]) with labels ([B, 1]) against m's
// current weights. No gradient flows from them back into the weights: the
// model is trained on them as data. warmup is the fraction, a scalar in
// [0, 1], of Epsilon and StepSize to use. For TRADES, clean holds the
// model's logits on images (their probabilities are the fixed point the
// steps move away from).
func (a Adversary) examples(scope *model.Scope, m classifier.Differentiable, images, labels, warmup, clean *Node) *Node {
	g := images.Graph()
	dtype := images.DType()
	classes := Reshape(labels, -1)
	numClasses := m.Geometry().Classes
	warmup = ConvertDType(warmup, dtype)
	eps := MulScalar(warmup, a.Epsilon)
	stepSize := MulScalar(warmup, a.StepSize)
	var x *Node
	if a.Mode == ModeTRADES {
		// TRADES starts next to the image: 0.001·N(0, 1).
		x = attack.Project(Add(images, MulScalar(scope.RandomNormal(g, images.Shape()), 0.001)), images, eps, attack.Linf)
	} else {
		// PGD's start: uniform in [-ε, ε) around each pixel, into the box.
		x = attack.UniformStart(images, scope.RandomUniform(g, images.Shape()), eps)
	}
	var target *Node // What the cotangent subtracts from the softmax.
	if a.Mode == ModeTRADES {
		// The gradient of the summed KL(p_clean ‖ p_x) with respect to
		// x's logits is softmax(x's logits) − p_clean.
		target = StopGradient(Softmax(clean))
	} else {
		// The gradient of the summed cross-entropy with respect to the
		// logits is softmax − one-hot.
		target = OneHot(classes, numClasses, dtype)
	}
	for range a.steps() {
		// Each use of the model in one graph needs its own scope object
		// (a scope refuses to enter the same sub-scope twice).
		logits, vjp := classifier.LogitsWithVJP(scope.Store().Scope(scope.Scope()), m, x)
		x = attack.Step(x, images, vjp(Sub(Softmax(logits), target)), eps, stepSize, attack.Linf)
	}
	return StopGradient(x)
}

// attacked returns the batch images ([B, rows, cols, channels]) with its
// first ⌊Fraction·B⌋ images (all of them when Fraction is 0) replaced by
// their adversarial examples, labels [B, 1]: what ModePGD and
// ModeFastFGSM train on.
func (a Adversary) attacked(scope *model.Scope, m classifier.Differentiable, images, labels, warmup *Node) *Node {
	batch := images.Shape().Dimensions[0]
	n := batch
	if a.Fraction > 0 {
		n = int(a.Fraction * float64(batch))
	}
	switch n {
	case 0:
		return images
	case batch:
		return a.examples(scope, m, images, labels, warmup, nil)
	}
	head := func(x *Node) *Node { return Slice(x, AxisRange(0, n)) }
	return Concatenate([]*Node{a.examples(scope, m, head(images), head(labels), warmup, nil), Slice(images, AxisRange(n, batch))}, 0)
}

// perturbWeights is AWP's move, inside a training step's graph: each
// trainable weight tensor w of rank 2 or more that the graph uses moves to
// w + γ‖w‖·d/‖d‖, d the gradient of loss (the training loss on the batch's
// examples at the step's weights) with respect to w, for the rest of the
// step's graph; the optimizer's gradient is then taken at the moved
// weights. No gradient flows through the move itself, and after the
// optimizer's update the move is subtracted again, so the step's update
// lands on the weights the step began from.
func (a Adversary) perturbWeights(scope *model.Scope, loss *Node) {
	g := loss.Graph()
	var moved []*model.Variable
	var values []*Node
	for v := range scope.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) && v.Shape().Rank() >= 2 {
			moved = append(moved, v)
			values = append(values, v.NodeValue(g))
		}
	}
	if len(moved) == 0 {
		return
	}
	norm := func(x *Node) *Node { return Sqrt(ReduceAllSum(Square(x))) }
	grads := Gradient(loss, values...)
	deltas := make([]*Node, len(moved))
	for i, v := range moved {
		w, d := values[i], grads[i]
		scale := MulScalar(Div(norm(w), AddScalar(norm(d), 1e-20)), a.AWP)
		deltas[i] = StopGradient(Mul(d, scale))
		v.SetNodeValue(Add(w, deltas[i]))
	}
	train.AddPerStepUpdateGraphFn(scope.In("awp"), g, func(_ *model.Scope, g *Graph) {
		for i, v := range moved {
			v.SetNodeValue(Sub(v.NodeValue(g), deltas[i]))
		}
	})
}

// ibpLoss is IBP training's objective per example: κ times the clean
// cross-entropy plus 1 − κ times the worst-case logits' (κ and ε follow the
// warm-up fraction).
func (a Adversary) ibpLoss(labels, clean, worst, warmup *Node) *Node {
	kappa := OneMinus(MulScalar(ConvertDType(warmup, clean.DType()), 1-a.Kappa))
	ce := func(logits *Node) *Node {
		return Reshape(loss.SparseCategoricalCrossEntropyLogits([]*Node{labels}, []*Node{logits}), -1)
	}
	return Add(Mul(kappa, ce(clean)), Mul(OneMinus(kappa), ce(worst)))
}

// tradesLoss is TRADES' objective per example: the clean cross-entropy
// plus Beta times KL(softmax(clean) ‖ softmax(adversarial)), the gradient
// flowing through both outputs.
func (a Adversary) tradesLoss(labels, adversarial, clean *Node) *Node {
	ce := loss.SparseCategoricalCrossEntropyLogits([]*Node{labels}, []*Node{clean})
	logP, logQ := LogSoftmax(clean), LogSoftmax(adversarial)
	kl := ReduceSum(Mul(Exp(logP), Sub(logP, logQ)), -1)
	return Add(Reshape(ce, -1), MulScalar(kl, a.Beta))
}

// warmup builds the fraction of the budget a training step uses: the
// steps taken since the session began (the store's global step, which the
// optimizer counts, less start) over the warm-up's steps, at most 1.
func (a Adversary) warmup(g *Graph, stepsPerEpoch int, start int64) *Node {
	if a.WarmupEpochs == 0 {
		return Scalar(g, dtypes.Float32, 1)
	}
	step := optimizer.GetGlobalStepVar(model.GetStore(g)).NodeValue(g)
	done := ConvertDType(AddScalar(step, float64(1-start)), dtypes.Float32)
	return ClipScalar(DivScalar(done, float64(a.WarmupEpochs*stepsPerEpoch)), 0, 1)
}

// robustAccuracy is the fraction of the first a.ValidationImages images of
// the validation set that m classifies correctly under the validation PGD.
func (a Adversary) robustAccuracy(m classifier.Differentiable, images []float32, labels []int, seed int64) (float64, error) {
	n := min(a.ValidationImages, len(labels))
	if a.bounded() {
		network, ok := m.(*cnn.Model)
		if !ok {
			return 0, fmt.Errorf("certified validation: %s bounds a *cnn.Model, not a %T", a.Mode, m)
		}
		bounds := certify.IBP
		if a.Mode == ModeCROWNIBP {
			bounds = certify.CROWNIBP
		}
		b, err := bounds(network, images[:n*m.Geometry().Pixels()], labels[:n], a.validationEpsilon())
		if err != nil {
			return 0, fmt.Errorf("certified validation: %w", err)
		}
		return b.Accuracy(), nil
	}
	eps := a.validationEpsilon()
	pgd := &attack.PGD{Steps: a.ValidationSteps, StepSize: 2.5 * eps / float64(a.ValidationSteps), Seed: seed}
	r, err := pgd.Run(m, images[:n*m.Geometry().Pixels()], attack.Misclassification{Labels: labels[:n]}, eps)
	if err != nil {
		return 0, fmt.Errorf("robust validation: %w", err)
	}
	return 1 - r.SuccessRate(0), nil
}
