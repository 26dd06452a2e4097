package attack

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/advmlgo/advml/pkg/backend"
)

// TestFABProjectionIsTheSmallestMove checks fabProjection against a
// float64 bisection on w·δ(u) = Σᵢ wᵢ·clip(u·vᵢ, −pᵢ, 1 − pᵢ): on random
// points, gradients and targets r, the move stays in the box, reaches r
// (or, out of reach, all the box allows), and its size is the smallest u
// that does, within 1e-3; r ≤ 0 asks for no move.
func TestFABProjectionIsTheSmallestMove(t *testing.T) {
	const batch, pixels = 8, 50
	engine, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	p, w := make([]float32, batch*pixels), make([]float32, batch*pixels)
	for i := range p {
		p[i] = rng.Float32()
		w[i] = float32(rng.NormFloat64())
		if i%7 == 0 {
			w[i] = 0 // Pixels the boundary does not depend on.
		}
	}
	move := func(i int, u float64, d Distance) []float64 {
		delta := make([]float64, pixels)
		for j := range delta {
			wj, pj := float64(w[i*pixels+j]), float64(p[i*pixels+j])
			v := wj
			if d == Linf {
				v = math.Copysign(1, wj)
				if wj == 0 {
					v = 0
				}
			}
			delta[j] = math.Min(math.Max(u*v, -pj), 1-pj)
		}
		return delta
	}
	reach := func(i int, delta []float64) float64 {
		s := 0.0
		for j, dj := range delta {
			s += float64(w[i*pixels+j]) * dj
		}
		return s
	}
	for _, d := range []Distance{Linf, L2} {
		// Targets: none, small, most of the reach, beyond it.
		r := make([]float32, batch)
		full := make([]float64, batch)
		for i := range batch {
			full[i] = reach(i, move(i, 1e9, d))
			r[i] = float32(full[i] * []float64{-0.5, 0.1, 0.9, 1.5, 0.3, 0.5, 0.99, 2}[i])
		}
		exec := graph.MustNewExec(engine, func(p, w, r *graph.Node) *graph.Node { return fabProjection(p, w, r, d) })
		out := tensors.MustCopyFlatData[float32](exec.MustCall(
			tensors.FromFlatDataAndDimensions(p, batch, pixels), tensors.FromFlatDataAndDimensions(w, batch, pixels),
			tensors.FromFlatDataAndDimensions(r, batch))[0])
		for i := range batch {
			got := make([]float64, pixels)
			for j := range got {
				got[j] = float64(out[i*pixels+j])
				if x := float64(p[i*pixels+j]) + got[j]; x < -1e-6 || x > 1+1e-6 {
					t.Fatalf("%v image %d pixel %d: p + δ = %g is outside [0, 1]", d, i, j, x)
				}
			}
			target := float64(r[i])
			if target <= 0 {
				for j, g := range got {
					if g != 0 {
						t.Fatalf("%v image %d: r = %g needs no move, δ[%d] = %g", d, i, target, j, g)
					}
				}
				continue
			}
			want := math.Min(target, full[i])
			// The reference: the smallest u whose move reaches the target.
			lo, hi := 0.0, 1e9
			for range 200 {
				mid := (lo + hi) / 2
				if reach(i, move(i, mid, d)) >= want*(1-1e-9) {
					hi = mid
				} else {
					lo = mid
				}
			}
			ref := move(i, hi, d)
			if got, ref := reach(i, got), reach(i, ref); math.Abs(got-ref) > 1e-3*math.Abs(ref) {
				t.Errorf("%v image %d (r %.4g, reach at most %.4g): w·δ = %.6g, the reference %.6g", d, i, target, full[i], got, ref)
			}
			if gotNorm, refNorm := d.Measure(make([]float32, pixels), toFloat32(got)), d.Measure(make([]float32, pixels), toFloat32(ref)); math.Abs(gotNorm-refNorm) > 1e-3*refNorm {
				t.Errorf("%v image %d (r %.4g): ‖δ‖ = %.6g, the smallest move's %.6g", d, i, target, gotNorm, refNorm)
			}
		}
	}
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
