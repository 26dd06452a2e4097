package training

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/advmlgo/advml/pkg/classifier"
)

// What Options.ResumeDir holds: the store after the last epoch (weights,
// optimizer state, random state, step), the store at the best epoch when
// the best weights are restored at the end, and the state file, written
// last, which says how far the training got.
const (
	resumeStateDir = "state"
	resumeBestDir  = "best"
	resumeMeanDir  = "average"
	resumeFile     = "resume.json"
)

// resumeState is the training's progress, written after every epoch.
type resumeState struct {
	History   *History `json:"history"`
	BestScore float64  `json:"best_score"`
	Wait      int      `json:"wait"`     // Epochs in a row without improvement.
	Finished  bool     `json:"finished"` // Early stopping ended it.
	Step      int64    `json:"step"`     // The optimizer's global step after the last epoch.
	// Trainable lists the trainable variables: a checkpoint does not keep
	// the flag, and the optimizer's state, the step and the random state
	// must not come back as weights.
	Trainable []string `json:"trainable"`
	// Averaged is the number of epochs that Options.AverageFrom's mean of
	// the weights holds (0: none yet).
	Averaged int `json:"averaged,omitempty"`

	best    weights // The best epoch's weights, when they are restored at the end.
	average average // The mean of the weights, with Options.AverageFrom.
}

// saveResume writes the training's progress into dir: the best epoch's
// store when this epoch is the new best (withBest), the store, then the
// state file. With training (Options.AverageFrom), the model holds the mean
// of the weights: it is written as the mean's store (and the best's, with
// withBest), then training's weights come back and are written as the
// store.
func saveResume(dir string, m Model, st resumeState, withBest bool, training weights) error {
	if withBest {
		if err := classifier.SaveStore(m.Store(), filepath.Join(dir, resumeBestDir)); err != nil {
			return fmt.Errorf("training: Options.ResumeDir: %w", err)
		}
	}
	if training != nil {
		if err := classifier.SaveStore(m.Store(), filepath.Join(dir, resumeMeanDir)); err != nil {
			return fmt.Errorf("training: Options.ResumeDir: %w", err)
		}
		if err := training.restore(); err != nil {
			return err
		}
	}
	if err := classifier.SaveStore(m.Store(), filepath.Join(dir, resumeStateDir)); err != nil {
		return fmt.Errorf("training: Options.ResumeDir: %w", err)
	}
	st.Step = optimizer.GetGlobalStep(m.Store())
	st.Trainable = nil
	for v := range m.Store().IterVariables() {
		if v.Trainable {
			st.Trainable = append(st.Trainable, v.Path())
		}
	}
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+resumeFile+".writing")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("training: Options.ResumeDir: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, resumeFile)); err != nil {
		return fmt.Errorf("training: Options.ResumeDir: %w", err)
	}
	return nil
}

// loadResume reads the progress that dir holds into m's store, or returns
// nil when dir holds none (a training that starts).
func loadResume(dir string, m Model) (*resumeState, error) {
	data, err := os.ReadFile(filepath.Join(dir, resumeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("training: Options.ResumeDir %s: %s: %v (delete the folder to start over)", dir, what, err)
	}
	if err != nil {
		return nil, fail("reading "+resumeFile, err)
	}
	st := &resumeState{}
	if err := json.Unmarshal(data, st); err != nil || st.History == nil || len(st.History.Epochs) == 0 {
		return nil, fail(resumeFile+" is not a training's state", err)
	}
	if err := loadInto(m.Store(), filepath.Join(dir, resumeStateDir)); err != nil {
		return nil, fail("loading the weights", err)
	}
	trainable := map[string]bool{}
	for _, path := range st.Trainable {
		trainable[path] = true
	}
	for v := range m.Store().IterVariables() {
		v.Trainable = trainable[v.Path()]
	}
	if step := optimizer.GetGlobalStep(m.Store()); step != st.Step {
		return nil, fail("the state", fmt.Errorf("the weights are at step %d, %s at step %d: a save was cut short", step, resumeFile, st.Step))
	}
	if st.History.BestEpoch > 0 && classifier.Exists(filepath.Join(dir, resumeBestDir)) {
		if st.best, _, err = readWeights(m, filepath.Join(dir, resumeBestDir)); err != nil {
			return nil, fail("the best epoch's weights", err)
		}
	}
	if st.Averaged > 0 {
		mean, step, err := readWeights(m, filepath.Join(dir, resumeMeanDir))
		if err == nil && step != st.Step {
			err = fmt.Errorf("it was written at step %d, %s at step %d: a save was cut short", step, resumeFile, st.Step)
		}
		if err != nil {
			return nil, fail("the mean of the weights", err)
		}
		st.average = average{n: st.Averaged, mean: mean}
	}
	return st, nil
}

// readWeights reads the values of m's trainable variables from the
// checkpoint in dir, leaving m as it is, and the optimizer's step the
// checkpoint was written at.
func readWeights(m Model, dir string) (weights, int64, error) {
	scratch := model.NewStore()
	if _, err := checkpoint.Load(scratch).Dir(dir).Immediate().Done(); err != nil {
		return nil, 0, err
	}
	w := weights{}
	for v := range m.Store().IterVariables() {
		if !v.Trainable {
			continue
		}
		saved := scratch.GetVariable(v.Path())
		if saved == nil {
			return nil, 0, fmt.Errorf("%s is missing", v.Path())
		}
		value, err := saved.Value()
		if err != nil {
			return nil, 0, err
		}
		w[v] = value
	}
	return w, optimizer.GetGlobalStep(scratch), nil
}

// loadInto reads the checkpoint in dir into store, replacing the values of
// the variables store already holds (a model that predicted before its
// training resumed, as cnn.New's does) and adding the others. GoMLX's
// immediate load (checkpoint.Config.Immediate, v0.28.8) adds the missing
// variables but leaves those already there at their values, which would
// resume the optimizer's state on freshly drawn weights; so the checkpoint
// is read into a scratch store and copied from there.
func loadInto(store *model.Store, dir string) error {
	scratch := model.NewStore()
	if _, err := checkpoint.Load(scratch).Dir(dir).Immediate().Done(); err != nil {
		return err
	}
	for saved := range scratch.IterVariables() {
		value, err := saved.Value()
		if err != nil {
			return err
		}
		v := store.GetVariable(saved.Path())
		if v == nil {
			if _, err := store.CreateVariable(saved.Path(), value); err != nil {
				return err
			}
			continue
		}
		if !v.Shape().Equal(value.Shape()) {
			return fmt.Errorf("%s is %s in the checkpoint but %s in the model", saved.Path(), value.Shape(), v.Shape())
		}
		if err := v.SetValue(value); err != nil {
			return err
		}
	}
	return nil
}

// skipEpochs draws the shuffles of n epochs without training on them, so
// that a resumed training sees the batches a run without a stop would.
func (s *Session) skipEpochs(n int) error {
	for range n {
		if d, ok := s.steps.(train.DistributedDataset); ok {
			// Batches split over devices: read the epoch whole.
			for _, err := range d.DistributedIter() {
				if err != nil {
					return fmt.Errorf("training: replaying the shuffles of the epochs already run: %w", err)
				}
			}
			continue
		}
		// An epoch's order is drawn when its first batch is read.
		for _, err := range s.steps.Iter() {
			if err != nil {
				return fmt.Errorf("training: replaying the shuffles of the epochs already run: %w", err)
			}
			break
		}
	}
	return nil
}
