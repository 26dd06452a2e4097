package robustness_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/robustness"
)

func TestAutoAttackRunsTheStandardFourInOrder(t *testing.T) {
	attacks := robustness.AutoAttackAttacks(attack.Linf, 1)
	var names []string
	for _, a := range attacks {
		names = append(names, a.String())
	}
	want := []string{"APGD-CE L∞ (100 steps)", "APGD-DLR-T L∞ (100 steps, 9 targets)", "FAB-T L∞ (100 steps, 9 targets)", "Square L∞ (5000 queries, p 0.8)"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("AutoAttack's attacks: %q, want %q", names, want)
	}
	if _, err := robustness.AutoAttack(nil, nil, nil, attack.L1, 0.3, 1); err == nil || !strings.Contains(err.Error(), "attack.Linf and attack.L2") {
		t.Errorf("AutoAttack in L1: %v, want an error naming the norms", err)
	}
}

// TestAutoAttackOnTheArticleModel: the article's model has no robustness at
// ε = 0.3, so AutoAttack must bring it to zero, the first attack doing
// nearly all of it; at a small budget every attack runs, the robust
// accuracy never rises from one to the next, and the sanity checks pass.
// On 8 digits, one batch that the attack loops never compact, each attack
// compiles its steps once: APGD-CE must fool all 8 at ε = 0.3.
func TestAutoAttackOnTheArticleModel(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels := testImages(t, 8)
	r, err := robustness.AutoAttack(m, images, labels, attack.Linf, 0.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.AutoAttackTable())
	if r.RobustAccuracy[0] != 0 || r.AfterAttack[0][0] > 0.05 {
		t.Errorf("robust accuracy %.3f at ε = 0.3 (%.3f after APGD-CE): the article's model resists nothing there", r.RobustAccuracy[0], r.AfterAttack[0][0])
	}
	small, err := robustness.AutoAttack(m, images, labels, attack.Linf, 0.05, 1)
	if err != nil {
		t.Fatal(err)
	}
	table := small.AutoAttackTable()
	t.Log("\n" + table)
	if !strings.Contains(table, "after FAB-T") || !strings.Contains(table, "after Square") {
		t.Errorf("the table lacks an attack:\n%s", table)
	}
	for k := 1; k < len(small.Attacks); k++ {
		if small.AfterAttack[k][0] > small.AfterAttack[k-1][0] {
			t.Errorf("the robust accuracy rose after %s", small.Attacks[k])
		}
	}
	for _, c := range small.Sanity {
		if !c.Passed {
			t.Errorf("sanity check failed: %v", c)
		}
	}
}

// TestAutoAttackCertified: on the article's model at ε = 0.01, where the
// bounds certify most of the first 10 digits, the certified ones count as
// robust without being attacked, the table says how many, and the others
// went through AutoAttack (its robust accuracy is at least the certified
// share). That certifying first leaves the result as it is, the internal
// test TestProvenImagesAreSkippedNotChanged shows with a cheaper attack.
func TestAutoAttackCertified(t *testing.T) {
	testutil.Slow(t)
	m := testutil.Trained(t)
	images, labels := testImages(t, 10)
	const eps = 0.01
	r, err := robustness.AutoAttackCertified(m, images, labels, eps, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + r.AutoAttackTable())
	if len(r.Proven) != 1 || len(r.Attacks) != 4 {
		t.Fatalf("Proven holds %d budgets and %d attacks ran; want 1 and AutoAttack's 4", len(r.Proven), len(r.Attacks))
	}
	proven := 0
	for i, ok := range r.Proven[0] {
		if ok {
			proven++
			if !r.Robust[0][i] {
				t.Errorf("image %d is certified, yet counted fooled", i)
			}
		}
	}
	if proven == 0 || !strings.Contains(r.AutoAttackTable(), "certified by bounds") || r.RobustAccuracy[0] < float64(proven)/10 {
		t.Errorf("the bounds certified %d of 10 digits at ε = %g, robust accuracy %g; want some certified, shown in the table, and no fewer robust",
			proven, eps, r.RobustAccuracy[0])
	}
	if _, err := robustness.AutoAttackCertified(nil, images, labels, eps, 1); err == nil {
		t.Error("nil model: no error")
	}
	if _, err := robustness.EvaluateCertified(m, images, labels, []attack.Attack{attack.NewPGD(attack.L2)}, 0.5); err == nil || !strings.Contains(err.Error(), "L∞") {
		t.Errorf("an L2 attack: %v, want an error saying the bounds certify L∞", err)
	}
}
