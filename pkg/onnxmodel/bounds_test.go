package onnxmodel_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute-onnx/support/protos"
	"google.golang.org/protobuf/proto"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/onnxmodel"
)

// TestExportedCNNsBoundAsTheirOwn: the project's networks (the article's,
// the PGD-trained and the IBP-trained shipped models, Madry et al.'s
// padded network and one on images wider than tall) written to ONNX
// (SaveCNN) and read back are bounded as certify bounds them natively: the
// same IBP and CROWN-IBP margins, up to float32 rounding, and the same
// images certified.
func TestExportedCNNsBoundAsTheirOwn(t *testing.T) {
	testutil.Slow(t)
	shipped := map[string]*cnn.Model{"article": testutil.Trained(t)}
	for _, name := range []string{"robust", "certified"} {
		m, err := cnn.Load(testutil.XLA(t), filepath.Join("..", "..", "checkpoints", name))
		if err != nil {
			t.Fatal(err)
		}
		shipped[name] = m
	}
	// And Madry et al.'s network (padded convolutions), with random weights.
	madry, err := cnn.New(testutil.XLA(t), cnn.Madry, 1)
	if err != nil {
		t.Fatal(err)
	}
	shipped["madry"] = madry
	// And a network on images that are not square: the digits' middle 20
	// rows, 28 columns, random weights.
	wide, err := cnn.New(testutil.XLA(t), cnn.Config{Filters: 8, Kernel: 3, Pool: 3, Filters2: 8, Hidden: 16,
		Input: classifier.Geometry{Rows: 20, Cols: 28, Channels: 1, Classes: 10}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	shipped["wide"] = wide
	test := testutil.MNIST(t).Test
	const n = 100
	labels := test.Labels[:n]
	for name, native := range shipped {
		images := test.Images[:n*28*28]
		if name == "wide" {
			images = nil
			for i := range n {
				images = append(images, test.Images[i*28*28+4*28:i*28*28+24*28]...)
			}
		}
		path := filepath.Join(t.TempDir(), name+".onnx")
		if err := onnxmodel.SaveCNN(native, path); err != nil {
			t.Fatal(err)
		}
		imported, err := onnxmodel.Load(testutil.XLA(t), path, onnxmodel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, eps := range []float64{0.01, 0.1, 0.3} {
			for method, bound := range map[string]func(certify.Model, []float32, []int, float64) (*certify.Bounds, error){"IBP": certify.IBP, "CROWN-IBP": certify.CROWNIBP} {
				want, err := bound(native, images, labels, eps)
				if err != nil {
					t.Fatal(err)
				}
				got, err := bound(imported, images, labels, eps)
				if err != nil {
					t.Fatal(err)
				}
				worst, differ := 0.0, 0
				for i := range n {
					for j, m := range want.Margins[i] {
						d := math.Abs(float64(got.Margins[i][j] - m))
						worst = math.Max(worst, d/math.Max(1, math.Abs(float64(m))))
					}
					if got.Certified[i] != want.Certified[i] {
						differ++
					}
				}
				if worst > 1e-4 || differ > 0 {
					t.Errorf("%s %s ε=%g: margins differ by up to %.2g (relative), %d images certified differently", name, method, eps, worst, differ)
				}
				t.Logf("%s %s ε=%g: certified %.0f%% both ways, margins within %.2g", name, method, eps, 100*got.Accuracy(), worst)
			}
		}
	}
}

// TestBoundsHoldOnImportedModels: on every fixture (and the shipped PyTorch
// model), the logits of points of the ball (its corners, random points and
// PGD's adversarial examples) lie within IBP's and CROWN-IBP's bounds, and
// their margins above the bounds' margins; at ε = 0 the bounds are the
// logits.
func TestBoundsHoldOnImportedModels(t *testing.T) {
	testutil.Slow(t)
	for _, name := range []string{"torchstyle", "kerasstyle", "torch_cnn", "torch_resnet", "keras_cnn", "opszoo", "samepad", "evenkernel", "../../../models/mnist_torch"} {
		m, err := onnxmodel.Load(testutil.XLA(t), filepath.Join("testdata", name+".onnx"), onnxmodel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := m.Geometry()
		const n = 4
		images := testImages(n, g)
		labels, _, err := m.Classify(images)
		if err != nil {
			t.Fatal(err)
		}
		zero, err := certify.IBP(m, images, labels, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		logits := logitsOf(t, m, images, n)
		for i := range n {
			for j := range g.Classes {
				l := float64(logits[i*g.Classes+j])
				if math.Abs(float64(zero.Lower[i][j])-l) > 1e-4*math.Max(1, math.Abs(l)) || math.Abs(float64(zero.Upper[i][j])-l) > 1e-4*math.Max(1, math.Abs(l)) {
					t.Fatalf("%s image %d class %d: bounds [%g, %g] at ε=0, logit %g", name, i, j, zero.Lower[i][j], zero.Upper[i][j], l)
				}
			}
		}
		const eps = 0.02
		// Points of the ball: corners, uniform points, PGD's examples.
		rng := rand.New(rand.NewPCG(1, 2))
		var points [][]float32
		for k := range 6 {
			p := make([]float32, len(images))
			for i, x := range images {
				d := float32(eps)
				if k < 3 {
					d *= float32(2*rng.IntN(2) - 1)
				} else {
					d *= float32(2*rng.Float64() - 1)
				}
				p[i] = min(max(x+d, 0), 1)
			}
			points = append(points, p)
		}
		res, err := attack.NewPGD(attack.Linf).Run(m, images, attack.Misclassification{Labels: labels}, eps)
		if err != nil {
			t.Fatal(err)
		}
		points = append(points, res.Clipped[0])
		var all []float32 // Every point in one batch: one graph to build.
		for _, p := range points {
			all = append(all, p...)
		}
		outs := logitsOf(t, m, all, n*len(points))
		for method, bound := range map[string]func(certify.Model, []float32, []int, float64) (*certify.Bounds, error){"IBP": certify.IBP, "CROWN-IBP": certify.CROWNIBP} {
			b, err := bound(m, images, labels, eps)
			if err != nil {
				t.Fatal(err)
			}
			width := 0.0
			for k := range points {
				out := outs[k*n*g.Classes : (k+1)*n*g.Classes]
				for i := range n {
					row := out[i*g.Classes : (i+1)*g.Classes]
					for j, l := range row {
						tol := 1e-4 * math.Max(1, math.Abs(float64(l)))
						if float64(l) < float64(b.Lower[i][j])-tol || float64(l) > float64(b.Upper[i][j])+tol {
							t.Fatalf("%s %s image %d class %d: logit %g of a point of the ball outside [%g, %g]", name, method, i, j, l, b.Lower[i][j], b.Upper[i][j])
						}
						if margin := row[labels[i]] - l; j != labels[i] && float64(margin) < float64(b.Margins[i][j])-tol {
							t.Fatalf("%s %s image %d class %d: margin %g of a point of the ball below the bound %g", name, method, i, j, margin, b.Margins[i][j])
						}
						width += float64(b.Upper[i][j]-b.Lower[i][j]) / float64(len(points)*n*g.Classes)
					}
				}
			}
			if !(width > 0) {
				t.Errorf("%s %s: the bounds have no width at ε=%g: they bound nothing", name, method, eps)
			}
			t.Logf("%s %s ε=%g: mean width %.3g, certified %.0f%%", name, method, eps, width, 100*b.Accuracy())
		}
	}
}

// TestUnboundableGraphs: a product of two values that depend on the image
// has no interval image certify could use; the model still loads and
// attacks, but certify says why it cannot bound it, in one line naming the
// node.
func TestUnboundableGraphs(t *testing.T) {
	var mp protos.ModelProto
	data := readFile(t, filepath.Join("testdata", "torchstyle.onnx"))
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.Graph.Node {
		if n.OpType == "Relu" {
			square := &protos.NodeProto{Name: "square", OpType: "Mul", Input: []string{n.Output[0], n.Output[0]}, Output: []string{"squared"}}
			for _, m := range mp.Graph.Node {
				for i, in := range m.Input {
					if in == n.Output[0] {
						m.Input[i] = "squared"
					}
				}
			}
			mp.Graph.Node = append(mp.Graph.Node, square)
			break
		}
	}
	// Keep the file's order: the square right after the Relu.
	nodes := mp.Graph.Node
	last := nodes[len(nodes)-1]
	for i, n := range nodes {
		if n.OpType == "Relu" {
			mp.Graph.Node = append(append(append([]*protos.NodeProto{}, nodes[:i+1]...), last), nodes[i+1:len(nodes)-1]...)
			break
		}
	}
	out, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "squared.onnx")
	writeFile(t, path, out)
	m, err := onnxmodel.Load(testutil.XLA(t), path, onnxmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	images := testImages(2, m.Geometry())
	_, err = certify.IBP(m, images, []int{0, 1}, 0.1)
	if err == nil || !strings.Contains(err.Error(), `"square" (Mul)`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("certify on a squared activation: %v; want one line naming node \"square\" (Mul)", err)
	}
	t.Log(err)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
