package attack

import (
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// This file is the batched iteration shared by the iterative attacks. An
// attack's step is one compiled graph on a batch:
//
//	(state..., fixed..., scalars...) → (next state..., done [batch] bool)
//
// state holds what changes from step to step (the current image, momentum,
// the best point so far...), fixed what does not (the original image, the
// class, the budget), scalars what is the same for every image of a call
// (the step number...); the loop passes first a boolean scalar, true on the
// last call only. A step that flags an image done must leave its state as
// it came in. The loop makes `steps` calls that move the images and one
// more whose only use is its done flags: the final images are the inputs of
// that last call. An attack that does not stop images early flags them
// done on that last call only.
//
// Images go through in batches of at most maxBatch, one after the other:
// a batch's intermediate values then stay in the CPU's caches (measured
// here: a CNN gradient costs 120 µs per image in batches of 128, 150 µs in
// batches of 1,024). Each image stops on its own. Finished images still
// cost compute while they sit in the batch, so once at most half the slots
// hold running images, those move into a batch of the next power of two at
// least their number, but no smaller than minCompacted (padding slots
// repeat one of them; their results are ignored). So a run compiles the
// step for at most log2(maxBatch/minCompacted)+2 batch sizes.

// column is a per-image input of a batched loop kept on the host: rows of
// values of one shape, row i for image i.
type column interface {
	// tensor returns a batch of the given rows (-1 repeats rows[0]).
	tensor(rows []int) *tensors.Tensor
	// store copies t's batch entries into the given rows (-1 is skipped).
	store(t *tensors.Tensor, rows []int) error
}

// values is a column of T, each row shaped dims.
type values[T float32 | int32 | bool] struct {
	data []T
	dims []int
}

func newValues[T float32 | int32 | bool](data []T, dims ...int) *values[T] {
	return &values[T]{data: data, dims: dims}
}

func (v *values[T]) rowSize() int {
	size := 1
	for _, d := range v.dims {
		size *= d
	}
	return size
}

func (v *values[T]) tensor(rows []int) *tensors.Tensor {
	size := v.rowSize()
	batch := make([]T, 0, len(rows)*size)
	for _, r := range rows {
		if r < 0 {
			r = rows[0]
		}
		batch = append(batch, v.data[r*size:(r+1)*size]...)
	}
	return tensors.FromFlatDataAndDimensions(batch, append([]int{len(rows)}, v.dims...)...)
}

func (v *values[T]) store(t *tensors.Tensor, rows []int) error {
	size := v.rowSize()
	flat, err := tensors.CopyFlatData[T](t)
	if err != nil {
		return fmt.Errorf("attack: reading the batch: %w", err)
	}
	for slot, r := range rows {
		if r >= 0 {
			copy(v.data[r*size:(r+1)*size], flat[slot*size:(slot+1)*size])
		}
	}
	return nil
}

// loop is one batched iteration over n images.
type loop struct {
	exec    *model.Exec
	state   []column // Updated in place: on return, each image's final state.
	fixed   []column
	scalars func(step int) []*tensors.Tensor // Per-call inputs after the last-call flag; nil for none.
	steps   int                              // Moving calls; one evaluating call follows.
	// observe, when set, sees every call's outputs (next state..., done)
	// before the loop acts on them, with the image of each slot (-1:
	// padding) and which images were still running when the call started.
	observe func(step int, rows []int, outputs []*tensors.Tensor) error
}

// maxBatch is the largest batch a loop sends to the engine.
const maxBatch = 128

// minCompacted is the smallest batch that compaction makes. Below it a step
// costs about the same whatever the batch (the call's fixed cost, about 2
// ms here, dominates a few images' 120 µs each), while every new batch size
// costs a compilation of the step (0.3 to 5 s): stopping at 8 spares three
// of them per run.
const minCompacted = 8

// run iterates over the images of the columns' rows listed in active, or
// all n when active is nil. It returns, per image (of all n), the done flag
// of the last call that saw it (the attack's own verdict) and the number of
// moving calls it went through.
func (l *loop) run(n int, active []int) (done []bool, steps []int, err error) {
	done, steps = make([]bool, n), make([]int, n)
	if active == nil {
		active = make([]int, n)
		for i := range active {
			active[i] = i
		}
	}
	for batch := range slices.Chunk(active, maxBatch) {
		if err := l.runBatch(batch, done, steps); err != nil {
			return nil, nil, err
		}
	}
	return done, steps, nil
}

// runBatch iterates over the images listed in rows (at most maxBatch),
// filling in their entries of done and steps.
func (l *loop) runBatch(rows []int, done []bool, steps []int) error {
	rows = slices.Clone(rows) // Slot of the batch → image; compaction rewrites it.
	state := l.tensors(l.state, rows)
	fixed := l.tensors(l.fixed, rows)
	defer func() { finalize(state); finalize(fixed) }()
	finished := make([]bool, len(done))
	remaining := len(rows)
	for step := 0; ; step++ {
		last := step == l.steps
		scalars := []*tensors.Tensor{tensors.FromScalar(last)}
		if l.scalars != nil {
			scalars = append(scalars, l.scalars(step)...)
		}
		inputs := make([]any, 0, len(state)+len(fixed)+len(scalars))
		for _, group := range [][]*tensors.Tensor{state, fixed, scalars} {
			for _, t := range group {
				inputs = append(inputs, t)
			}
		}
		out, err := l.exec.Call(inputs...)
		finalize(scalars)
		if err != nil {
			return fmt.Errorf("attack: step %d: %w", step, err)
		}
		if l.observe != nil {
			if err := l.observe(step, rows, out); err != nil {
				finalize(out)
				return err
			}
		}
		flags, err := tensors.CopyFlatData[bool](out[len(out)-1])
		if err != nil {
			finalize(out)
			return fmt.Errorf("attack: reading the done flags: %w", err)
		}
		for slot, i := range rows {
			if i < 0 || finished[i] {
				continue
			}
			done[i], steps[i] = flags[slot], step
			if flags[slot] || last {
				finished[i] = true
				remaining--
			}
		}
		if last || remaining == 0 {
			// The inputs of this call hold every slot's final state (a call
			// leaves the state of the images it flags done unchanged).
			finalize(out)
			return l.save(state, rows)
		}
		finalize(state)
		state = out[:len(out)-1]
		finalize(out[len(out)-1:])
		if remaining > len(rows)/2 || len(rows) <= minCompacted {
			continue
		}
		// Compact: save every slot's state (final for the finished images),
		// then rebuild the batch from the running ones.
		if err := l.save(state, rows); err != nil {
			return err
		}
		var running []int
		for _, i := range rows {
			if i >= 0 && !finished[i] {
				running = append(running, i)
			}
		}
		rows = make([]int, max(nextPowerOfTwo(len(running)), minCompacted))
		for k := range rows {
			rows[k] = -1
			if k < len(running) {
				rows[k] = running[k]
			}
		}
		finalize(state)
		finalize(fixed)
		state, fixed = l.tensors(l.state, rows), l.tensors(l.fixed, rows)
	}
}

func (l *loop) tensors(columns []column, rows []int) []*tensors.Tensor {
	ts := make([]*tensors.Tensor, len(columns))
	for k, c := range columns {
		ts[k] = c.tensor(rows)
	}
	return ts
}

func (l *loop) save(state []*tensors.Tensor, rows []int) error {
	for k, c := range l.state {
		if err := c.store(state[k], rows); err != nil {
			return err
		}
	}
	return nil
}

func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		t.MustFinalizeAll()
	}
}

// nextPowerOfTwo returns the smallest power of two ≥ n (n ≥ 1).
func nextPowerOfTwo(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// A stepGraph builds one step of an attack, as the loop runs it.
type stepGraph func(scope *model.Scope, state, fixed, scalars []*graph.Node) (next []*graph.Node, done *graph.Node)

// compiled caches the step executors of every attack: one per model and
// per graph key, a comparable value holding every setting that shapes the
// graph (settings that do not are inputs). A changed setting means a new
// key, so it takes effect on the next run. Each executor compiles once per
// batch size.
//
// It holds the executors of the MaxCachedModels models attacked most
// recently: attacking another model drops the entries of the one used
// longest ago (a running attack keeps its executor until it ends). Forget
// drops a model's entries at once. A model whose value cannot be a map key
// (a struct type holding a slice, a map or a function) is not cached: each
// run compiles its own executors.
var compiled struct {
	sync.Mutex
	execs  map[execKey]*model.Exec
	models []classifier.Differentiable // Least recently used first.
}

// MaxCachedModels is how many models the attacks keep compiled executors
// for (see Forget).
const MaxCachedModels = 8

type execKey struct {
	model classifier.Differentiable
	graph any
}

// cacheable tells whether m and key can be map keys.
func cacheable(m classifier.Differentiable, key any) bool {
	return reflect.ValueOf(m).Comparable() && (key == nil || reflect.ValueOf(key).Comparable())
}

// Forget frees the compiled attack steps kept for m. Call it when m will not
// be attacked again (a notebook that replaces its model, a loop over many
// models); attacking m later compiles them anew. It must not run while an
// attack on m is running.
func Forget(m classifier.Differentiable) {
	if m == nil || !reflect.ValueOf(m).Comparable() {
		return
	}
	compiled.Lock()
	defer compiled.Unlock()
	for k, e := range compiled.execs {
		if k.model == m {
			e.Finalize()
			delete(compiled.execs, k)
		}
	}
	compiled.models = slices.DeleteFunc(compiled.models, func(x classifier.Differentiable) bool { return x == m })
}

// CacheSize tells how many models have compiled attack steps kept, and how
// many steps that makes over all of them (see Forget).
func CacheSize() (models, executors int) {
	compiled.Lock()
	defer compiled.Unlock()
	return len(compiled.models), len(compiled.execs)
}

// stepExec returns the executor of build for m, keyed by key.
func stepExec(m classifier.Differentiable, key any, numState, numFixed int, build stepGraph) (*model.Exec, error) {
	newExec := func() (*model.Exec, error) {
		e, err := model.NewExec(m.Backend(), m.Store(), func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
			next, done := build(scope, inputs[:numState], inputs[numState:numState+numFixed], inputs[numState+numFixed:])
			return append(next, done)
		})
		if err != nil {
			return nil, fmt.Errorf("attack: %w", err)
		}
		return e, nil
	}
	if !cacheable(m, key) {
		return newExec()
	}
	compiled.Lock()
	defer compiled.Unlock()
	// m becomes the most recently used model.
	if i := slices.Index(compiled.models, m); i >= 0 {
		compiled.models = slices.Delete(compiled.models, i, i+1)
	} else if len(compiled.models) >= MaxCachedModels {
		oldest := compiled.models[0]
		compiled.models = compiled.models[1:]
		for k := range compiled.execs {
			if k.model == oldest {
				delete(compiled.execs, k) // Not finalized: a run may still hold it.
			}
		}
	}
	compiled.models = append(compiled.models, m)
	k := execKey{m, key}
	if e, ok := compiled.execs[k]; ok {
		return e, nil
	}
	e, err := newExec()
	if err != nil {
		return nil, err
	}
	if compiled.execs == nil {
		compiled.execs = map[execKey]*model.Exec{}
	}
	compiled.execs[k] = e
	return e, nil
}

// stepSizes returns each image's step size: rel·budgets[i], or abs for
// every image when abs is positive (the attacks' StepSize and RelStepSize).
func stepSizes(budgets []float64, rel, abs float64) []float32 {
	out := make([]float32, len(budgets))
	for i, eps := range budgets {
		out[i] = float32(rel * eps)
		if abs > 0 {
			out[i] = float32(abs)
		}
	}
	return out
}

// keepRestart folds one restart of an attack into out: every image that no
// earlier restart fooled takes this restart's iterate (from x, the loop's
// final images), its verdict (done) and its steps (added to those of the
// restarts before). It returns the images still not fooled, which the next
// restart runs on.
func keepRestart(c *call, out *outcome, x []float32, done []bool, steps []int, active []int) []int {
	active = active[:0]
	for i := range c.n {
		if out.claimed[i] {
			continue
		}
		copy(c.g.Image(out.images, i), c.g.Image(x, i))
		out.claimed[i], out.steps[i] = done[i], out.steps[i]+steps[i]
		if !done[i] {
			active = append(active, i)
		}
	}
	return active
}
