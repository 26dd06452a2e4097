package report_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/report"
	"github.com/advmlgo/advml/pkg/robustness"
)

// The report of a small evaluation: its gallery is the smallest
// adversarials, each re-predicted by the model; its Summary carries the
// evaluation's figures; its page embeds every figure and loads nothing.
func TestReportOfAnEvaluation(t *testing.T) {
	m := testutil.MLP(t)
	test := testutil.MNIST(t).Test
	const n = 20
	images, labels := test.Images[:n*mnist.Pixels], test.Labels[:n]
	r, err := robustness.Evaluate(m, images, labels, []attack.Attack{attack.NewFGSM(), attack.NewDeepFool(attack.Linf)}, 0.05, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.New(m, images, labels, r, report.About{Model: "mlp", Data: "MNIST", GalleryImages: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Gallery) == 0 || len(rep.Gallery) > 5 {
		t.Fatalf("gallery of %d", len(rep.Gallery))
	}
	for j, ex := range rep.Gallery {
		if j > 0 && ex.Distance < rep.Gallery[j-1].Distance {
			t.Errorf("gallery not smallest first: %g after %g", ex.Distance, rep.Gallery[j-1].Distance)
		}
		classes, _, err := classifier.Classify(m, ex.Adversarial)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Predicted != classes[0] || ex.Predicted == ex.Label {
			t.Errorf("example %d: predicted %d, the model says %d, label %d", j, ex.Predicted, classes[0], ex.Label)
		}
		if ex.Distance > ex.Epsilon+1e-6 {
			t.Errorf("example %d at distance %g beyond its ε %g", j, ex.Distance, ex.Epsilon)
		}
	}
	s := rep.Summary()
	if s.Images != n || s.CleanAccuracy != round(r.CleanAccuracy) || s.RobustAccuracy[1] != round(r.RobustAccuracy[1]) || len(s.PerClass) != 10 || len(s.AfterAttack) != 2 {
		t.Errorf("summary %+v of report %s", s, r.Table())
	}
	line, err := json.Marshal(s)
	if err != nil || bytes.Contains(line, []byte("\n")) {
		t.Fatalf("JSON line: %v", err)
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if got, want := strings.Count(page, `src="data:image/png;base64,`), 1+2*len(rep.Gallery); got != want {
		t.Errorf("%d embedded images, want %d (the curve and two per example)", got, want)
	}
	if loads := regexp.MustCompile(`(src|href)="(https?:)?//`).FindString(page); loads != "" {
		t.Errorf("the page loads %s from elsewhere", loads)
	}
	for _, want := range []string{`id="budgets"`, `id="per-class"`, "✓ adversarials in [0, 1]", "after FGSM"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func round(x float64) float64 { return float64(int64(x*1e4+0.5)) / 1e4 }

func TestReportBadInput(t *testing.T) {
	m := testutil.MLP(t)
	test := testutil.MNIST(t).Test
	images, labels := test.Images[:4*mnist.Pixels], test.Labels[:4]
	r, err := robustness.Evaluate(m, images, labels, []attack.Attack{attack.NewFGSM()}, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		m      classifier.Predictor
		images []float32
		labels []int
		r      *robustness.Report
		about  report.About
		want   string
	}{
		{"no evaluation", m, images, labels, nil, report.About{}, "give the model and its evaluation"},
		{"other images", m, images[:2*mnist.Pixels], labels[:2], r, report.About{}, "the evaluation judged 4 images, 2 are given"},
		{"names", m, images, labels, r, report.About{Names: []string{"a"}}, "About.Names holds 1 names for 10 classes"},
		{"labels", m, images, []int{0, 1, 2, 11}, r, report.About{}, "label 11 of image 3 is not a class"},
	} {
		if _, err := report.New(c.m, c.images, c.labels, c.r, c.about); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", c.name, err, c.want)
		}
	}
}
