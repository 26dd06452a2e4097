package attack

import (
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/cnn"
)

// Defaults of TargetedAscent.
const (
	DefaultStepSize = 0.01
	DefaultMaxSteps = 1000
)

// TargetedAscent is the article's targeted gradient-ascent attack. The zero
// value uses the defaults; set fields before the first Run. It compiles its
// step once per model and batch size and reuses it; it is safe for
// concurrent use.
type TargetedAscent struct {
	StepSize float64 // ε of the step rule; DefaultStepSize when 0.
	MaxSteps int     // Step limit per pair; DefaultMaxSteps when 0.
	Scaling  Scaling // How the gradient is rescaled; MaxAbs by default.

	mu    sync.Mutex
	model *cnn.Model
	exec  *model.Exec
}

func (a *TargetedAscent) settings() (stepSize float64, maxSteps int, err error) {
	stepSize, maxSteps = a.StepSize, a.MaxSteps
	if stepSize == 0 {
		stepSize = DefaultStepSize
	}
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	if !(stepSize > 0) || math.IsInf(stepSize, 0) {
		return 0, 0, fmt.Errorf("attack: StepSize must be a positive number, got %g", a.StepSize)
	}
	if maxSteps < 0 {
		return 0, 0, fmt.Errorf("attack: MaxSteps must be positive, got %d", a.MaxSteps)
	}
	return stepSize, maxSteps, a.Scaling.validate()
}

// run is a validated call: its settings, its number of images and the
// compiled step.
type run struct {
	stepSize float64
	maxSteps int
	n        int
	exec     *model.Exec
}

// prepare validates the attack's settings and inputs and gets the compiled
// step for m.
func (a *TargetedAscent) prepare(m *cnn.Model, images []float32, crit TargetedMisclassification) (run, error) {
	var r run
	var err error
	if r.stepSize, r.maxSteps, err = a.settings(); err != nil {
		return r, err
	}
	if r.n, err = checkImages(images); err != nil {
		return r, err
	}
	if err := crit.validate(r.n); err != nil {
		return r, err
	}
	r.exec, err = a.stepExec(m)
	return r, err
}

// stepExec returns the compiled ascent step for m:
// (x [B,28,28,1], targets [B], ε) → (x' , probabilities of x [B,10]).
func (a *TargetedAscent) stepExec(m *cnn.Model) (*model.Exec, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.model == m && a.exec != nil {
		return a.exec, nil
	}
	scaling := a.Scaling
	exec, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, x, targets, stepSize *graph.Node) (*graph.Node, *graph.Node) {
		return StepGraph(scope, m.Config, x, targets, stepSize, scaling)
	})
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	a.model, a.exec = m, exec
	return exec, nil
}

// StepGraph builds one ascent step on a batch: it returns the next images
// and the probabilities of the current ones. Images the model already
// assigns to their target are left as they are, so each pair stops on its
// own.
//
// The gradient followed is that of log p_target rather than of p_target:
// the two differ by the positive factor p_target, which every Scaling
// divides out, so the step is the article's; but the log's gradient stays
// defined where p_target underflows to zero in float32 (a very confident
// model), where the plain gradient would vanish and stall the attack.
func StepGraph(scope *model.Scope, cfg cnn.Config, x, targets, stepSize *graph.Node, scaling Scaling) (next, probabilities *graph.Node) {
	logits := cnn.Logits(scope, cfg, x)
	probabilities = graph.Softmax(logits, -1)
	targetsOneHot := graph.OneHot(targets, cnn.NumClasses, logits.DType())
	objective := graph.ReduceAllSum(graph.Mul(targetsOneHot, graph.LogSoftmax(logits, -1)))
	g := graph.Gradient(objective, x)[0]
	moved := graph.ClipScalar(graph.Add(x, graph.Mul(graph.ConvertDType(stepSize, x.DType()), scaling.scale(g))), 0, 1)
	done := graph.Equal(graph.ConvertDType(graph.ArgMax(logits, -1), targets.DType()), targets)
	done = graph.BroadcastToDims(graph.Reshape(done, -1, 1, 1, 1), x.Shape().Dimensions...)
	next = graph.Where(done, x, moved)
	return graph.StopGradient(next), probabilities
}

// Run attacks each image of images (flat, n×784, pixels in [0,1]) towards
// crit.Targets, each pair until the model predicts its target or MaxSteps
// steps. epsilons are optional L∞ budgets (Foolbox's): for each one, Result
// holds the adversarials clipped into that distance of their originals and
// whether they still succeed. With none, the budget is unbounded (+Inf).
func (a *TargetedAscent) Run(m *cnn.Model, images []float32, crit TargetedMisclassification, epsilons ...float64) (*Result, error) {
	run, err := a.prepare(m, images, crit)
	if err != nil {
		return nil, err
	}
	if len(epsilons) == 0 {
		epsilons = []float64{math.Inf(1)}
	}
	for _, eps := range epsilons {
		if !(eps >= 0) {
			return nil, fmt.Errorf("attack: epsilon %g is not a budget: use a non-negative number or math.Inf(1)", eps)
		}
	}
	raw, err := a.loop(run.exec, images, run.n, crit, run.stepSize, run.maxSteps)
	if err != nil {
		return nil, err
	}
	res := &Result{Raw: raw, Epsilons: epsilons}
	for _, eps := range epsilons {
		clipped, success, err := clip(m, raw, crit, eps)
		if err != nil {
			return nil, err
		}
		res.Clipped = append(res.Clipped, clipped)
		res.Success = append(res.Success, success)
	}
	return res, nil
}

// Attack runs the attack on one image towards target: the article's loop on
// a single digit.
func (a *TargetedAscent) Attack(m *cnn.Model, image []float32, target int) (*Adversarial, error) {
	res, err := a.Run(m, image, TargetedMisclassification{Targets: []int{target}})
	if err != nil {
		return nil, err
	}
	if len(res.Raw) != 1 {
		return nil, fmt.Errorf("attack: image holds %d images, Attack takes one", len(res.Raw))
	}
	return &res.Raw[0], nil
}

// Step applies one ascent step to each image (flat, n×784) towards its
// target and returns the new images: the article's update, shown on its own.
// Images the model already assigns to their target come back unchanged.
func (a *TargetedAscent) Step(m *cnn.Model, images []float32, targets []int) ([]float32, error) {
	run, err := a.prepare(m, images, TargetedMisclassification{Targets: targets})
	if err != nil {
		return nil, err
	}
	x, targetsT := batchTensors(images, targets, allSlots(run.n), nil)
	stepT := tensors.FromScalar(float32(run.stepSize))
	defer func() { x.MustFinalizeAll(); targetsT.MustFinalizeAll(); stepT.MustFinalizeAll() }()
	out, err := run.exec.Call(x, targetsT, stepT)
	if err != nil {
		return nil, fmt.Errorf("attack: %w", err)
	}
	out[1].MustFinalizeAll()
	defer out[0].MustFinalizeAll()
	next, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, fmt.Errorf("attack: reading the stepped images: %w", err)
	}
	return next, nil
}

// loop runs the batched ascent, recording each pair's trajectory, and
// returns the raw adversarials.
//
// The batch shrinks as pairs finish. Finished pairs are left unchanged by
// the step, but they still cost compute; so once at most half the slots hold
// running pairs, those move into a batch of the next power of two at least
// their number (padding slots repeat one of them; their results are
// ignored). Each batch size compiles once, at most log2(n) sizes in all.
func (a *TargetedAscent) loop(exec *model.Exec, images []float32, n int, crit TargetedMisclassification,
	stepSize float64, maxSteps int) ([]Adversarial, error) {
	const pixels = cnn.Rows * cnn.Cols
	stepT := tensors.FromScalar(float32(stepSize))
	defer stepT.MustFinalizeAll()
	adv := make([]Adversarial, n)
	done := make([]bool, n)
	final := make([]float32, n*pixels)
	slots := allSlots(n) // Slot of the batch → pair.
	x, targetsT := batchTensors(images, crit.Targets, slots, nil)
	defer func() { x.MustFinalizeAll(); targetsT.MustFinalizeAll() }()
	remaining := n
	for step := 0; ; step++ {
		out, err := exec.Call(x, targetsT, stepT)
		if err != nil {
			return nil, fmt.Errorf("attack: step %d: %w", step, err)
		}
		probs, err := tensors.CopyFlatData[float32](out[1])
		out[1].MustFinalizeAll()
		if err != nil {
			out[0].MustFinalizeAll()
			return nil, fmt.Errorf("attack: reading probabilities: %w", err)
		}
		for slot, i := range slots {
			if i < 0 || done[i] {
				continue
			}
			p := probs[slot*cnn.NumClasses : (slot+1)*cnn.NumClasses : (slot+1)*cnn.NumClasses]
			if step == 0 {
				adv[i].Source, adv[i].Target = cnn.Argmax(p), crit.Targets[i]
			}
			tr := &adv[i].Trajectory
			tr.Source = append(tr.Source, p[adv[i].Source])
			tr.Target = append(tr.Target, p[adv[i].Target])
			succeeded := crit.IsAdversarial(i, p)
			if succeeded || step == maxSteps {
				done[i], remaining = true, remaining-1
				adv[i].Succeeded, adv[i].Steps = succeeded, step
				adv[i].Prediction = cnn.Argmax(p)
				adv[i].Confidence = p[adv[i].Prediction]
				adv[i].Probabilities = p
			}
		}
		if remaining == 0 {
			// x holds every slot's final image.
			out[0].MustFinalizeAll()
			if err := saveFinal(x, slots, final); err != nil {
				return nil, err
			}
			break
		}
		x.MustFinalizeAll()
		x = out[0]
		if remaining > len(slots)/2 {
			continue
		}
		// Compact. Pairs that finished at this step were left unchanged by
		// it, so x holds their final images too. (Pairs stop at the step
		// limit all at once, in the branch above.)
		current, err := tensors.CopyFlatData[float32](x)
		if err != nil {
			return nil, fmt.Errorf("attack: reading images: %w", err)
		}
		var running []int
		for slot, i := range slots {
			if i < 0 {
				continue
			}
			if done[i] {
				copy(final[i*pixels:(i+1)*pixels], current[slot*pixels:(slot+1)*pixels])
			} else {
				running = append(running, slot)
			}
		}
		newSlots := make([]int, nextPowerOfTwo(len(running)))
		source := make([]int, len(newSlots)) // New slot → old slot.
		for k := range newSlots {
			old := running[min(k, len(running)-1)]
			source[k] = old
			if newSlots[k] = slots[old]; k >= len(running) {
				newSlots[k] = -1 // Padding.
			}
		}
		x.MustFinalizeAll()
		targetsT.MustFinalizeAll()
		x, targetsT = batchTensors(current, crit.Targets, newSlots, source)
		slots = newSlots
	}
	for i := range adv {
		adv[i].Original = append([]float32(nil), images[i*pixels:(i+1)*pixels]...)
		adv[i].Image = final[i*pixels : (i+1)*pixels : (i+1)*pixels]
		adv[i].distances()
	}
	return adv, nil
}

// batchTensors builds the step's inputs for a batch of slots: the images
// (slot k takes image source[k] of images, or image k when source is nil)
// and the targets of the slots' pairs (padding slots, -1, take the target
// of the pair whose image they repeat).
func batchTensors(images []float32, targets, slots, source []int) (x, targetsT *tensors.Tensor) {
	const pixels = cnn.Rows * cnn.Cols
	batch := make([]float32, 0, len(slots)*pixels)
	batchTargets := make([]int32, len(slots))
	for k, pair := range slots {
		from := k
		if source != nil {
			from = source[k]
		}
		batch = append(batch, images[from*pixels:(from+1)*pixels]...)
		if pair < 0 {
			pair = slots[0]
		}
		batchTargets[k] = int32(targets[pair])
	}
	return tensors.FromFlatDataAndDimensions(batch, len(slots), cnn.Rows, cnn.Cols, 1),
		tensors.FromFlatDataAndDimensions(batchTargets, len(slots))
}

// allSlots is the first batch of n pairs: slot i holds pair i.
func allSlots(n int) []int {
	slots := make([]int, n)
	for i := range slots {
		slots[i] = i
	}
	return slots
}

// saveFinal copies each slot's image in x into final, at its pair's place.
func saveFinal(x *tensors.Tensor, slots []int, final []float32) error {
	const pixels = cnn.Rows * cnn.Cols
	current, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return fmt.Errorf("attack: reading the adversarial images: %w", err)
	}
	for slot, i := range slots {
		if i >= 0 {
			copy(final[i*pixels:(i+1)*pixels], current[slot*pixels:(slot+1)*pixels])
		}
	}
	return nil
}

// nextPowerOfTwo returns the smallest power of two ≥ n (n ≥ 1).
func nextPowerOfTwo(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// clip projects every raw adversarial into the L∞ ball of radius eps around
// its original (and [0,1]), and tells which ones still succeed.
func clip(m *cnn.Model, raw []Adversarial, crit TargetedMisclassification, eps float64) ([]float32, []bool, error) {
	const pixels = cnn.Rows * cnn.Cols
	clipped := make([]float32, 0, len(raw)*pixels)
	success := make([]bool, len(raw))
	if math.IsInf(eps, 1) {
		for i, a := range raw {
			clipped = append(clipped, a.Image...)
			success[i] = a.Succeeded
		}
		return clipped, success, nil
	}
	for _, a := range raw {
		for j, v := range a.Image {
			o := float64(a.Original[j])
			clipped = append(clipped, float32(min(max(float64(v), o-eps), o+eps)))
		}
	}
	probs, err := m.Predict(clipped)
	if err != nil {
		return nil, nil, fmt.Errorf("attack: evaluating adversarials clipped to ε=%g: %w", eps, err)
	}
	for i, p := range probs {
		success[i] = crit.IsAdversarial(i, p)
	}
	return clipped, success, nil
}

// checkImages validates a flat batch of images and returns how many it holds.
func checkImages(images []float32) (int, error) {
	n, err := cnn.CountImages(images)
	if err != nil {
		return 0, fmt.Errorf("attack: %w", err)
	}
	for i, v := range images {
		if !(v >= 0 && v <= 1) {
			return 0, fmt.Errorf("attack: pixel %d of image %d is %g: pixels must be in [0, 1]", i%(cnn.Rows*cnn.Cols), i/(cnn.Rows*cnn.Cols), v)
		}
	}
	return n, nil
}
