// Package report turns a robustness evaluation into what a person reads
// and a program keeps: a Summary (one JSON line) and a single
// self-contained HTML page, with no file beside it and nothing loaded from
// the network, so it can be mailed, archived or opened offline.
//
// The page shows the clean and robust accuracy per budget with what each
// attack added, the evaluation's sanity checks, the robust-accuracy curve,
// a gallery of the smallest adversarials found (the original, the
// adversarial, the model's prediction on each, the distance), and the
// robust accuracy per class.
//
//	r, _ := robustness.AutoAttack(m, images, labels, attack.Linf, 0.3, 0)
//	rep, _ := report.New(m, images, labels, r, report.About{Model: "net.onnx", Data: "x.npy"})
//	rep.WriteHTML(f)
package report

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/plots"
	"github.com/advmlgo/advml/pkg/robustness"
)

// About says what was evaluated, for the page's header and the Summary.
type About struct {
	Model string // The model, e.g. its file.
	Data  string // The images, e.g. their files.
	// Names holds one name per class (empty: the class numbers).
	Names []string
	// Seconds is how long the evaluation took (0: not shown).
	Seconds float64
	// GalleryImages is how many of the smallest adversarials the gallery
	// shows (0: 8).
	GalleryImages int
}

// Report is an evaluation made ready to show.
type Report struct {
	About    About
	Geometry classifier.Geometry
	Eval     *robustness.Report
	// Gallery holds the smallest adversarials, smallest first.
	Gallery []Example
}

// Example is one adversarial of the gallery.
type Example struct {
	Image       int     // Its index in the evaluated images.
	Label       int     // The true class.
	Predicted   int     // The model's class for the adversarial.
	Confidence  float32 // The model's probability of Predicted.
	Epsilon     float64 // The smallest budget at which an attack fooled it.
	Distance    float64 // The adversarial's distance from the image, in the report's norm.
	Attack      string  // The attack that fooled it at Epsilon.
	Original    []float32
	Adversarial []float32
}

// New gathers what the page shows from r, the evaluation of m on images
// (flat) with labels. It predicts the gallery's adversarials again with
// m, so the page shows what the model says, not what the attack claimed.
func New(m classifier.Predictor, images []float32, labels []int, r *robustness.Report, about About) (*Report, error) {
	if m == nil || r == nil {
		return nil, fmt.Errorf("report: give the model and its evaluation (robustness.Evaluate or AutoAttack)")
	}
	g := m.Geometry()
	n, err := g.CheckLabeled(images, labels)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if n != r.N || len(r.Robust) != len(r.Epsilons) {
		return nil, fmt.Errorf("report: the evaluation judged %d images, %d are given: give the images it evaluated", r.N, n)
	}
	if len(about.Names) != 0 && len(about.Names) != g.Classes {
		return nil, fmt.Errorf("report: About.Names holds %d names for %d classes: give one per class, or none", len(about.Names), g.Classes)
	}
	if about.GalleryImages == 0 {
		about.GalleryImages = 8
	}
	rep := &Report{About: about, Geometry: g, Eval: r}
	// Each fooled image at the smallest budget that fooled it.
	for i := range n {
		for e := range r.Epsilons {
			if k := r.FooledBy[e][i]; k >= 0 {
				orig, adv := g.Image(images, i), g.Image(r.Adversarials[e], i)
				rep.Gallery = append(rep.Gallery, Example{
					Image: i, Label: labels[i], Epsilon: r.Epsilons[e], Distance: r.Distance.Measure(orig, adv),
					Attack: r.Attacks[k], Original: slices.Clone(orig), Adversarial: slices.Clone(adv),
				})
				break
			}
		}
	}
	slices.SortStableFunc(rep.Gallery, func(a, b Example) int {
		if a.Distance != b.Distance {
			return cmpFloat(a.Distance, b.Distance)
		}
		return a.Image - b.Image
	})
	rep.Gallery = rep.Gallery[:min(len(rep.Gallery), about.GalleryImages)]
	if len(rep.Gallery) > 0 {
		var batch []float32
		for _, ex := range rep.Gallery {
			batch = append(batch, ex.Adversarial...)
		}
		classes, conf, err := classifier.Classify(m, batch)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		for j := range rep.Gallery {
			rep.Gallery[j].Predicted, rep.Gallery[j].Confidence = classes[j], conf[j]
		}
	}
	return rep, nil
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	return 1
}

// Name returns the name of class c.
func (r *Report) Name(c int) string {
	if c >= 0 && c < len(r.About.Names) {
		return r.About.Names[c]
	}
	return strconv.Itoa(c)
}

// Summary is the report as one JSON line.
type Summary struct {
	Model          string      `json:"model"`
	Data           string      `json:"data"`
	Images         int         `json:"n_images"`
	Geometry       string      `json:"geometry"`
	Norm           string      `json:"norm"`
	Epsilons       []float64   `json:"epsilons"`
	Attacks        []string    `json:"attacks"`
	CleanAccuracy  float64     `json:"clean_accuracy"`
	RobustAccuracy []float64   `json:"robust_accuracy"`
	AfterAttack    [][]float64 `json:"robust_accuracy_after_attack"`
	// CertifiedAccuracy is, per budget, the share of images bounds proved
	// robust (robustness.EvaluateCertified; advml eval -certify).
	CertifiedAccuracy []float64 `json:"certified_accuracy,omitempty"`
	SanityPassed      bool      `json:"sanity_passed"`
	Sanity            []Check   `json:"sanity"`
	PerClass          []Class   `json:"per_class"`
	Seconds           float64   `json:"seconds,omitempty"`
}

// Check is a sanity check in the Summary.
type Check struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Skipped bool   `json:"skipped,omitempty"` // Could not run: neither passed nor failed.
	Detail  string `json:"detail"`
}

// Class is one class's line in the Summary.
type Class struct {
	Name           string    `json:"name"`
	Images         int       `json:"n_images"`
	CleanAccuracy  float64   `json:"clean_accuracy"`
	RobustAccuracy []float64 `json:"robust_accuracy"`
}

// Summary returns the report's figures, rounded to four decimals.
func (r *Report) Summary() Summary {
	e := r.Eval
	s := Summary{
		Model: r.About.Model, Data: r.About.Data, Images: e.N, Geometry: r.Geometry.String(), Norm: e.Distance.String(),
		Epsilons: e.Epsilons, Attacks: e.Attacks, CleanAccuracy: round(e.CleanAccuracy), SanityPassed: true,
		Seconds: math.Round(r.About.Seconds*10) / 10,
	}
	for _, a := range e.RobustAccuracy {
		s.RobustAccuracy = append(s.RobustAccuracy, round(a))
	}
	for _, row := range e.AfterAttack {
		var out []float64
		for _, a := range row {
			out = append(out, round(a))
		}
		s.AfterAttack = append(s.AfterAttack, out)
	}
	for _, proven := range e.Proven {
		n := 0
		for _, p := range proven {
			if p {
				n++
			}
		}
		s.CertifiedAccuracy = append(s.CertifiedAccuracy, round(float64(n)/float64(max(len(proven), 1))))
	}
	for _, c := range e.Sanity {
		s.Sanity = append(s.Sanity, Check{Name: c.Name, Passed: c.Passed, Skipped: c.Skipped, Detail: c.Detail})
		s.SanityPassed = s.SanityPassed && !c.Failed()
	}
	for _, c := range e.PerClass {
		cl := Class{Name: r.Name(c.Class), Images: c.N, CleanAccuracy: round(c.CleanAccuracy)}
		for _, a := range c.RobustAccuracy {
			cl.RobustAccuracy = append(cl.RobustAccuracy, round(a))
		}
		s.PerClass = append(s.PerClass, cl)
	}
	return s
}

func round(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// picture renders one image (values in [0, 1]) at its own size: grey for
// one channel, RGB for three, the first channel otherwise.
func picture(g classifier.Geometry, values []float32) image.Image {
	level := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
	if g.Channels == 3 {
		img := image.NewRGBA(image.Rect(0, 0, g.Cols, g.Rows))
		for p := range g.Rows * g.Cols {
			img.Set(p%g.Cols, p/g.Cols, color.RGBA{level(values[3*p]), level(values[3*p+1]), level(values[3*p+2]), 255})
		}
		return img
	}
	img := image.NewGray(image.Rect(0, 0, g.Cols, g.Rows))
	for p := range g.Rows * g.Cols {
		img.Pix[p] = level(values[p*g.Channels])
	}
	return img
}

// pngData returns img as a PNG data URL.
func pngData(img image.Image) (string, error) {
	data, err := plots.EncodePNG(img)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64Encode(data), nil
}
