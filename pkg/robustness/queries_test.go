package robustness_test

import (
	"math"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/robustness"
)

func TestQueryCurve(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 4)
	hsj := func(q int) attack.Attack {
		a := attack.NewHopSkipJump(attack.L2)
		a.MaxQueries = q
		return a
	}
	points, err := robustness.QueryCurve(m, images, attack.Misclassification{Labels: labels}, attack.L2, []int{1, 400}, hsj)
	if err != nil {
		t.Fatal(err)
	}
	// One query is spent on a noise start, which is the adversarial found
	// where the noise fooled the model; 400 queries bring it much closer.
	if p := points[1]; points[0].Queries != 1 || p.SuccessRate != 1 || !(p.MedianDistance > 0 && p.MedianDistance < points[0].MedianDistance/3) {
		t.Errorf("at 1 and 400 queries: %v", points)
	}
	if s := points[1].String(); !strings.HasPrefix(s, "400 queries: ") || !strings.HasSuffix(s, "(100%)") {
		t.Errorf("String() = %q", s)
	}
	img, err := robustness.QueryChart(attack.L2, []string{"HopSkipJump"}, [][]robustness.QueryPoint{points}, map[string]float64{"white-box": 0.9})
	if err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("chart %v, %v", img, err)
	}
	if _, err := robustness.QueryCurve(m, images, attack.Misclassification{Labels: labels}, attack.L2, nil, hsj); err == nil {
		t.Error("no budgets: no error")
	}
	if math.IsNaN(points[1].MedianDistance) {
		t.Error("a NaN median where every image was fooled")
	}
}

// A fixed-budget black-box attack (Square) draws its curve at the budget
// it is given, and without one says what is missing.
func TestQueryCurveOfAFixedBudgetAttack(t *testing.T) {
	m := testutil.Trained(t)
	images, labels := testImages(t, 4)
	square := func(q int) attack.Attack {
		a := attack.NewSquare(attack.Linf)
		a.MaxQueries, a.Seed = q, 1
		return a
	}
	crit := attack.Misclassification{Labels: labels}
	points, err := robustness.QueryCurve(m, images, crit, attack.Linf, []int{1, 300}, square, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if !(points[1].SuccessRate > 0 && points[1].SuccessRate >= points[0].SuccessRate) || points[1].MedianDistance > 0.3+1e-6 {
		t.Errorf("Square at ε 0.3 after 1 and 300 queries: %v; want success that grows, within the budget", points)
	}
	if _, err := robustness.QueryCurve(m, images, crit, attack.Linf, []int{1}, square); err == nil || !strings.Contains(err.Error(), "ε") {
		t.Errorf("Square without ε: %v, want an error asking for it", err)
	}
	if _, err := robustness.QueryCurve(m, images, crit, attack.Linf, []int{1}, square, 0.1, 0.3); err == nil {
		t.Error("two budgets ε: no error")
	}
}
