package classifier_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
)

// toy is a classifier of 1×2 images with 3 classes whose logits are the two
// values and their mean.
func toy(t *testing.T) *classifier.Model {
	g := classifier.Geometry{Rows: 1, Cols: 2, Channels: 1, Classes: 3}
	m, err := classifier.New(testutil.XLA(t), model.NewStore(), g, func(_ *model.Scope, images *Node) *Node {
		x := Reshape(images, -1, 2)
		return Concatenate([]*Node{x, ReduceAndKeep(x, ReduceMean, -1)}, -1)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPredictClassifyEvaluate(t *testing.T) {
	m := toy(t)
	images := []float32{1, 0, 0, 1, 0.5, 0.5}
	probs, err := m.Predict(images)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range probs {
		var sum float64
		for _, p := range row {
			sum += float64(p)
		}
		if len(row) != 3 || math.Abs(sum-1) > 1e-6 {
			t.Errorf("image %d: probabilities %v", i, row)
		}
	}
	classes, confidences, err := m.Classify(images)
	if err != nil {
		t.Fatal(err)
	}
	if classes[0] != 0 || classes[1] != 1 || confidences[0] != probs[0][0] {
		t.Errorf("Classify = %v %v, probabilities %v", classes, confidences, probs)
	}
	loss, accuracy, err := m.Evaluate(images, []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	// The third image's logits tie, so its argmax is class 0: 2 of 3 right.
	if math.Abs(accuracy-2.0/3) > 1e-9 || !(loss > 0) {
		t.Errorf("Evaluate = %g, %g", loss, accuracy)
	}
}

func TestBadInput(t *testing.T) {
	m := toy(t)
	if _, err := m.Predict(make([]float32, 3)); err == nil || !strings.Contains(err.Error(), "3 values: want a positive multiple of 2") {
		t.Errorf("Predict on 3 values: %v", err)
	}
	if _, _, err := m.Evaluate(make([]float32, 4), []int{0}); err == nil || !strings.Contains(err.Error(), "classifier.Evaluate: 1 labels for 2 images: give one per image") {
		t.Errorf("Evaluate with too few labels: %v", err)
	}
	if _, _, err := m.Evaluate(make([]float32, 2), []int{3}); err == nil || !strings.Contains(err.Error(), "classifier.Evaluate: label 3 of image 0 is not a class: use 0 to 2") {
		t.Errorf("Evaluate with label 3: %v", err)
	}
	if _, err := (classifier.Geometry{Rows: 1, Cols: 2, Channels: 1}).CheckImages([]float32{0, 2}); err == nil ||
		!strings.Contains(err.Error(), "image 0, row 0, column 1 is 2: pixels must be numbers in [0, 1] (pixels in 0..255? divide them by 255)") {
		t.Errorf("CheckImages on 2: %v", err)
	}
	rgb := classifier.Geometry{Rows: 2, Cols: 3, Channels: 3, Classes: 2}
	bad := make([]float32, 2*rgb.Pixels())
	bad[rgb.Pixels()+1*3*3+2*3+1] = -0.5 // Image 1, row 1, column 2, channel 1.
	if _, err := rgb.CheckImages(bad); err == nil || !strings.Contains(err.Error(), "image 1, row 1, column 2, channel 1 is -0.5") {
		t.Errorf("CheckImages on a negative value: %v", err)
	}
	// Every entry point checks pixels: 0..255 images are refused, not
	// classified.
	bytes := []float32{0, 255}
	if _, err := m.Predict(bytes); err == nil || !strings.Contains(err.Error(), "classifier.Predict: image 0, row 0, column 1 is 255") {
		t.Errorf("Predict on 0..255 pixels: %v", err)
	}
	if _, _, err := m.Classify(bytes); err == nil || !strings.Contains(err.Error(), "classifier.Classify: image 0, row 0, column 1 is 255") {
		t.Errorf("Classify on 0..255 pixels: %v", err)
	}
	if _, _, err := m.Evaluate(bytes, []int{0}); err == nil || !strings.Contains(err.Error(), "classifier.Evaluate: image 0, row 0, column 1 is 255") {
		t.Errorf("Evaluate on 0..255 pixels: %v", err)
	}
	if _, err := classifier.New(testutil.XLA(t), model.NewStore(), classifier.Geometry{Rows: 1, Cols: 1, Channels: 1, Classes: 1}, nil); err == nil {
		t.Error("New with no logits function and one class: no error")
	}
}

// Black-box attacks query batches of every size as their images finish:
// Predict answers each the same as alone, and 300 sizes in a row do not run
// out of compiled graphs (it pads to powers of two up to BatchSize).
func TestPredictAnyBatchSize(t *testing.T) {
	m := toy(t)
	images := make([]float32, 2*300)
	for j := range images {
		images[j] = float32(j%7) / 7
	}
	alone := make([][]float32, 300)
	for i := range alone {
		row, err := m.Predict(images[2*i : 2*i+2])
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = row[0]
	}
	for n := 1; n <= 300; n++ {
		probs, err := m.Predict(images[:2*n])
		if err != nil {
			t.Fatalf("batch of %d: %v", n, err)
		}
		if len(probs) != n {
			t.Fatalf("batch of %d: %d rows", n, len(probs))
		}
		for i, row := range probs {
			for k, p := range row {
				if math.Abs(float64(p-alone[i][k])) > 1e-6 {
					t.Fatalf("batch of %d, image %d: %v, alone %v", n, i, row, alone[i])
				}
			}
		}
	}
}

// CrossEntropy is −log softmax(logits)[class], computed here by hand.
func TestCrossEntropy(t *testing.T) {
	logits := [][]float32{{2, 0, -1}, {0.5, 0.5, 3}}
	classes := []int32{0, 1}
	out, err := ExecOnce(testutil.XLA(t), func(l, c *Node) *Node { return classifier.CrossEntropy(l, c) }, logits, classes)
	if err != nil {
		t.Fatal(err)
	}
	got := out.Value().([]float32)
	for i, row := range logits {
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v))
		}
		want := math.Log(sum) - float64(row[classes[i]])
		if math.Abs(float64(got[i])-want) > 1e-5 {
			t.Errorf("image %d: %g, want %g", i, got[i], want)
		}
	}
}

// Select and Pick copy the images and labels listed, in order, repeats
// included, and the copies do not alias the originals.
func TestSelectAndPick(t *testing.T) {
	g := classifier.Geometry{Rows: 1, Cols: 2, Channels: 1, Classes: 3}
	images := []float32{0, 0.1, 0.2, 0.3, 0.4, 0.5}
	sub := g.Select(images, []int{2, 0, 2})
	if want := []float32{0.4, 0.5, 0, 0.1, 0.4, 0.5}; !slices.Equal(sub, want) {
		t.Errorf("Select = %v, want %v", sub, want)
	}
	sub[0] = 1
	if images[4] != 0.4 {
		t.Error("Select's copy aliases the images")
	}
	if got := classifier.Pick([]int{7, 8, 9}, []int{2, 0, 2}); !slices.Equal(got, []int{9, 7, 9}) {
		t.Errorf("Pick = %v", got)
	}
	if classifier.Pick[int](nil, []int{1}) != nil {
		t.Error("Pick of nil is not nil")
	}
}
