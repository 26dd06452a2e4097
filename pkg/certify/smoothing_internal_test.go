package certify

import (
	"math"
	"testing"
)

// The reference values come from SciPy 1.15.3 (scipy.stats.beta.ppf and
// binomtest(k, n, 0.5).pvalue), an implementation independent of gonum's.

func TestClopperPearsonLowerMatchesSciPy(t *testing.T) {
	for _, tc := range []struct {
		k, n  int
		alpha float64
		want  float64
	}{
		{50, 100, 0.001, 0.3447980064253177},
		{9000, 10000, 0.001, 0.8904097336749064},
		{7, 10, 0.05, 0.39337578389458766},
		{1, 1, 0.001, 0.001},
		{0, 100, 0.001, 0},
	} {
		if got := clopperPearsonLower(tc.k, tc.n, tc.alpha); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("clopperPearsonLower(%d, %d, %g) = %.12g, want %.12g", tc.k, tc.n, tc.alpha, got, tc.want)
		}
	}
	// All n samples in the class: the bound is alpha^(1/n) in closed form.
	if got, want := clopperPearsonLower(10000, 10000, 0.001), math.Pow(0.001, 1.0/10000); math.Abs(got-want) > 1e-12 {
		t.Errorf("clopperPearsonLower(n, n) = %.15g, want alpha^(1/n) = %.15g", got, want)
	}
}

func TestBinomialTwoSidedMatchesSciPy(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want float64
	}{
		{60, 100, 0.056887933640980784},
		{40, 100, 0.056887933640980784},
		{55, 100, 0.36820161732669576},
		{530, 1000, 0.06202319509836342},
		{10, 10, 0.001953125},
		{50, 100, 1},
		{0, 0, 1},
	} {
		if got := binomialTwoSided(tc.k, tc.n); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("binomialTwoSided(%d, %d) = %.12g, want %.12g", tc.k, tc.n, got, tc.want)
		}
	}
}
