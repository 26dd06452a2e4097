package classifier

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// ErrNoCheckpoint is returned (wrapped) by Load when the folder holds no
// checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// Save writes the model's store (weights, optimizer state and params) as a
// GoMLX checkpoint into dir (SaveStore).
func (m *Model) Save(dir string) error { return SaveStore(m.store, dir) }

// SaveStore writes a store (weights, optimizer state and params) as a GoMLX
// checkpoint into dir. It writes into a new folder beside dir and swaps it
// in only once complete, so a failed save leaves an earlier checkpoint
// whole.
func SaveStore(store *model.Store, dir string) error {
	if dir == "" {
		return fmt.Errorf("classifier.Save: empty checkpoint folder name: name the folder to save in")
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("classifier.Save: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".saving-")
	if err != nil {
		return fmt.Errorf("classifier.Save: %w", err)
	}
	defer os.RemoveAll(tmp) // Gone once renamed; cleans up after a failure.
	h, err := checkpoint.Build(store).Dir(tmp).Keep(1).Done()
	if err == nil {
		err = h.Save()
	}
	if err != nil {
		return fmt.Errorf("classifier.Save: writing checkpoint in %s: %w", tmp, err)
	}
	old := tmp + ".old"
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("classifier.Save: moving the previous checkpoint aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir) // Put the previous one back.
		return fmt.Errorf("classifier.Save: %w", err)
	}
	return os.RemoveAll(old)
}

// Exists reports whether dir holds a checkpoint that Load can read.
func Exists(dir string) bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*.json"))
	return len(matches) > 0
}

// Load reads the weights and params that Save wrote in dir into the
// model's store, which must not hold weights yet: build the model with
// New on a new store, then Load. The graph's variables then take the
// checkpoint's values in place of their initialisers'.
//
// Load then builds the model's graph once and checks that it is the
// checkpoint's architecture: every weight the graph asks for is in the
// checkpoint with the shape asked (a renamed or resized layer would
// otherwise stay at its random start, silently), and every weight of the
// checkpoint under the graph's scopes is used (a layer the model lost).
// The checkpoint's training state (the optimizer's moments, the step,
// metrics) is kept for a training that goes on, and not checked.
func (m *Model) Load(dir string) error {
	if !Exists(dir) {
		return fmt.Errorf("classifier.Load: %w in %s (no checkpoint-*.json): train a model and Save it there first", ErrNoCheckpoint, dir)
	}
	if n := m.store.NumVariables(); n > 0 {
		return fmt.Errorf("classifier.Load: the model's store already holds %d variables: load into a model built on a new store (model.NewStore())", n)
	}
	m.fresh = false
	if _, err := checkpoint.Load(m.store).Dir(dir).Immediate().Done(); err != nil {
		return fmt.Errorf("classifier.Load: reading checkpoint in %s: %w", dir, err)
	}
	if err := m.checkArchitecture(); err != nil {
		return fmt.Errorf("classifier.Load: the checkpoint in %s is not this model's: %w", dir, err)
	}
	return nil
}

// checkArchitecture builds the logits of one blank image on the store that
// Load filled, and compares the weights the graph asks for with those it
// loaded.
func (m *Model) checkArchitecture() (err error) {
	loaded := map[string]bool{}
	for v := range m.store.IterVariables() {
		loaded[v.Path()] = true
	}
	exec, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, x *Node) *Node {
		return m.logits(scope, x)
	})
	if err != nil {
		return err
	}
	defer exec.Finalize()
	x := tensors.FromFlatDataAndDimensions(make([]float32, m.geometry.Pixels()), m.geometry.Dims(1)...)
	defer x.MustFinalizeAll()
	out, g, err := exec.CallWithGraph(x)
	if err != nil {
		// A weight of another shape than the checkpoint's is found here.
		return firstLine(err)
	}
	for _, t := range out {
		t.MustFinalizeAll()
	}
	var missing, unused []string
	used := map[string]bool{} // The top scopes of the weights the graph uses.
	for v := range m.store.IterVariables() {
		// A checkpoint does not keep which variables are weights: those
		// the logits use are, the optimizer's state, the step and the
		// random state are not (and must not be trained as weights).
		v.Trainable = v.InUseByGraph(g) && v.DType().IsFloat()
		if !v.InUseByGraph(g) {
			continue
		}
		used[topScope(v.Path())] = true
		if !loaded[v.Path()] {
			missing = append(missing, v.Path())
		}
	}
	for v := range m.store.IterVariables() {
		if top := topScope(v.Path()); top != "" && loaded[v.Path()] && !v.InUseByGraph(g) && used[top] {
			unused = append(unused, v.Path())
		}
	}
	slices.Sort(missing)
	slices.Sort(unused)
	switch {
	case len(missing) > 0:
		var have []string
		for path := range loaded {
			if top := topScope(path); top != "" && used[top] {
				have = append(have, path)
			}
		}
		slices.Sort(have)
		return fmt.Errorf("the model's weight %s (and %d more) is not in it: a layer renamed or added? (its weights there: %s)", missing[0], len(missing)-1, strings.Join(have, ", "))
	case len(unused) > 0:
		return fmt.Errorf("its weight %s (and %d more) is not used by the model: a layer renamed or removed?", unused[0], len(unused)-1)
	}
	return nil
}

// topScope is the first element of a variable's path: "/cnn/dense/weights"
// is in "cnn".
func topScope(path string) string {
	path = strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return ""
}

// firstLine keeps an error to one line (GoMLX's panics carry stacks).
func firstLine(err error) error {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return errors.New(s)
}
