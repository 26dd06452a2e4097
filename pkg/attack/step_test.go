package attack_test

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
)

// Step, the projected step the attacks and adversarial training share,
// moves each pixel by the step along the gradient's sign (L∞) or the
// normalised gradient (L2), and lands within the budget of the original
// and in [0, 1]; UniformStart lands in the same box.
func TestStepAndStart(t *testing.T) {
	const batch, pixels = 3, 16
	rng := rand.New(rand.NewPCG(3, 4))
	x0, x, grad, u := make([]float32, batch*pixels), make([]float32, batch*pixels), make([]float32, batch*pixels), make([]float32, batch*pixels)
	for i := range x0 {
		x0[i] = rng.Float32()
		x[i] = min(max(x0[i]+0.1*(2*rng.Float32()-1), 0), 1)
		grad[i] = float32(rng.NormFloat64())
		u[i] = rng.Float32()
	}
	shape := func(v []float32) [][][][]float32 {
		out := make([][][][]float32, batch)
		for b := range out {
			out[b] = [][][]float32{{}}
			for p := range pixels {
				out[b][0] = append(out[b][0], []float32{v[b*pixels+p]})
			}
		}
		return out
	}
	eps, alpha := []float32{0.05, 0.1, 0.3}, []float32{0.02, 0.2, 0.01}
	backend := testutil.XLA(t)
	for _, d := range []attack.Distance{attack.Linf, attack.L2} {
		out, err := ExecOnceN(backend, func(x, x0, g, e, a, u *Node) []*Node {
			return []*Node{Reshape(attack.Step(x, x0, g, e, a, d), -1), Reshape(attack.UniformStart(x0, u, e), -1)}
		}, shape(x), shape(x0), shape(grad), eps, alpha, shape(u))
		if err != nil {
			t.Fatal(err)
		}
		moved, start := out[0].Value().([]float32), out[1].Value().([]float32)
		for b := range batch {
			var n2, dist float64
			for p := range pixels {
				n2 += float64(grad[b*pixels+p]) * float64(grad[b*pixels+p])
			}
			for p := range pixels {
				i := b*pixels + p
				step := float64(alpha[b]) * math.Copysign(1, float64(grad[i]))
				if d == attack.L2 {
					step = float64(alpha[b]) * float64(grad[i]) / math.Sqrt(n2)
				}
				if moved[i] < 0 || moved[i] > 1 || start[i] < 0 || start[i] > 1 {
					t.Fatalf("%v image %d pixel %d: moved %g, start %g outside [0, 1]", d, b, p, moved[i], start[i])
				}
				if s := math.Abs(float64(start[i] - x0[i])); s > float64(eps[b])+1e-6 {
					t.Errorf("image %d pixel %d: the start is %g from the original, budget %g", b, p, s, eps[b])
				}
				diff := float64(moved[i] - x0[i])
				dist = math.Max(dist, math.Abs(diff))
				if d == attack.L2 {
					dist = 0 // Measured below.
				}
				if d == attack.Linf {
					want := min(max(float64(x[i])+step, float64(x0[i])-float64(eps[b]), 0), float64(x0[i])+float64(eps[b]), 1)
					if math.Abs(float64(moved[i])-want) > 1e-6 {
						t.Errorf("L∞ image %d pixel %d: %g, want %g", b, p, moved[i], want)
					}
				}
			}
			if d == attack.L2 {
				for p := range pixels {
					diff := float64(moved[b*pixels+p] - x0[b*pixels+p])
					dist += diff * diff
				}
				dist = math.Sqrt(dist)
			}
			if dist > float64(eps[b])+1e-5 {
				t.Errorf("%v image %d: %g from the original, budget %g", d, b, dist, eps[b])
			}
		}
	}
}
