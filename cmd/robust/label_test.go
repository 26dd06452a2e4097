package main

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/pkg/training"
)

// TestTrainingLabelOfACheckpointWithoutHistory: a loaded checkpoint whose
// history.json is missing is reported as not recorded, not as clean
// training; a recorded history names its adversary.
func TestTrainingLabelOfACheckpointWithoutHistory(t *testing.T) {
	if got := trainingLabel(&training.History{}, true); !strings.Contains(got, "not recorded") {
		t.Errorf("a loaded checkpoint without its history is labelled %q", got)
	}
	trades := training.TRADESTraining(0.1)
	h := &training.History{Epochs: []training.EpochMetrics{{Epoch: 1}}, Adversary: trades}
	if got, want := trainingLabel(h, true), trades.String(); got != want {
		t.Errorf("a recorded TRADES history is labelled %q, want %q", got, want)
	}
	if got, want := trainingLabel(&training.History{Epochs: []training.EpochMetrics{{Epoch: 1}}}, true), "clean training"; got != want {
		t.Errorf("a recorded clean history is labelled %q, want %q", got, want)
	}
}
