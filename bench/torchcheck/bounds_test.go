package main

import (
	"testing"

	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/mnist"
)

// bounds returns one image's bounds, labelled 0, all margins positive, and
// the same numbers as auto_LiRPA's flat lists.
func bounds() (*certify.Bounds, []float64, []float64, []float64, []int) {
	b := &certify.Bounds{N: 1, Certified: []bool{true}}
	lo, hi, m := make([]float32, mnist.NumClasses), make([]float32, mnist.NumClasses), make([]float32, mnist.NumClasses)
	var flo, fhi, fm []float64
	for j := range mnist.NumClasses {
		lo[j], hi[j], m[j] = float32(j)-5, float32(j)+50, 0.5
		if j == 0 {
			m[j] = 0
		}
		flo, fhi, fm = append(flo, float64(lo[j])), append(fhi, float64(hi[j])), append(fm, float64(m[j]))
	}
	b.Lower, b.Upper, b.Margins = [][]float32{lo}, [][]float32{hi}, [][]float32{m}
	return b, flo, fhi, fm, []int{0}
}

func TestCompareAgreesOnEqualBounds(t *testing.T) {
	b, lo, hi, m, labels := bounds()
	if r := compare("x", 0.1, true, b, lo, hi, m, labels); !r.Agree || r.MaxRelDiff != 0 || r.Certified != 1 || r.CertifiedLiRPA != 1 {
		t.Errorf("equal bounds: %+v, want agreement with one certified image on each side", r)
	}
}

func TestCompareFailsOnEachDisagreement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(lo, hi, m []float64) bool // Returns the predictions' sameness.
	}{
		{"an upper bound off by 3e-4 relative", func(_, hi, _ []float64) bool { hi[9] *= 1 + 3e-4; return true }},
		{"a lower bound off by 2e-4 absolute below magnitude 1", func(lo, _, _ []float64) bool { lo[5] += 2e-4; return true }},
		{"a margin that no longer certifies", func(_, _, m []float64) bool { m[3] = -0.5; return true }},
		{"other predictions", func(_, _, _ []float64) bool { return false }},
	} {
		b, lo, hi, m, labels := bounds()
		same := tc.change(lo, hi, m)
		if r := compare("x", 0.1, same, b, lo, hi, m, labels); r.Agree {
			t.Errorf("%s: the comparison agrees (%+v), want a disagreement", tc.name, r)
		}
	}
}

func TestBadEpsilons(t *testing.T) {
	for _, s := range []string{"", "0.1,x", "1.5", "-0.1", "NaN"} {
		if _, err := parseEpsilons(s); err == nil {
			t.Errorf("-eps %q: no error", s)
		}
	}
	if eps, err := parseEpsilons("0, 0.3"); err != nil || len(eps) != 2 || eps[1] != 0.3 {
		t.Errorf("-eps \"0, 0.3\": %v, %v", eps, err)
	}
}
