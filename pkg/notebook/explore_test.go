package notebook

import (
	"regexp"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/mnist"
)

func TestExplorerViews(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	test := testutil.MNIST(t).Test
	e := &explorer{m: m, images: test.Images[:3*mnist.Pixels], labels: test.Labels[:3], ascent: map[[2]int][]float32{}}
	caption := regexp.MustCompile(`^prediction: \d; confidence: \d\.\d\d$`)
	clean, confidences, err := classifier.Classify(m, e.images[:mnist.Pixels])
	if err != nil {
		t.Fatal(err)
	}
	target := (e.labels[0] + 1) % 10
	for which := range exploreAttacks {
		got, img, err := e.render(view{digit: 0, target: target, attack: which, eps: 0})
		if err != nil || img == nil || got != experiment.Caption(clean[0], confidences[0]) {
			t.Errorf("%s at ε=0: caption %q, %v; want the clean prediction %q", exploreAttacks[which], got, err, experiment.Caption(clean[0], confidences[0]))
		}
		got, img, err = e.render(view{digit: 0, target: target, attack: which, eps: 0.3})
		if err != nil || img == nil || !caption.MatchString(got) {
			t.Errorf("%s at ε=0.3: caption %q, %v", exploreAttacks[which], got, err)
		}
	}
	if _, _, err := e.render(view{digit: 0, target: e.labels[0], eps: 0.1}); err == nil {
		t.Error("a target equal to the digit's class: no error")
	}
	// Outside a notebook no browser answers: Explore shows its first view
	// as a static figure and returns.
	if frontEndAnswers(0) {
		t.Error("a front-end answered outside a notebook")
	}
}
