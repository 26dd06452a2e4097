package plots_test

import (
	"fmt"
	"image"
	"log"
	"math"

	"github.com/advmlgo/advml/pkg/plots"
)

// A digit with its prediction, next to the perturbation that an attack added.
func ExampleRow() {
	original := make([]float32, 784)
	perturbation := make([]float32, 784)
	for i := range original {
		row, col := i/28, i%28
		if col >= 13 && col <= 15 && row >= 4 && row < 24 { // a "1"
			original[i] = 1
		}
		perturbation[i] = 0.1 * float32(math.Sin(float64(i)))
	}
	digit, err := plots.Digit(original, "prediction: 1; confidence: 0.97")
	if err != nil {
		log.Fatal(err)
	}
	delta, err := plots.Heatmap(perturbation, "perturbation")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("digit:", digit.Bounds())
	fmt.Println("row:", plots.Row(digit, delta).Bounds())
	// Output:
	// digit: (0,0)-(296,318)
	// row: (0,0)-(659,318)
}

// A 4×8 grid of sample digits, without captions.
func ExampleGrid() {
	var panels []image.Image
	for range 32 {
		d, err := plots.Digit(make([]float32, 784), "")
		if err != nil {
			log.Fatal(err)
		}
		panels = append(panels, d)
	}
	grid, err := plots.Grid(8, panels...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(grid.Bounds())
	// Output:
	// (0,0)-(2410,1202)
}

// Training curves: one point per epoch, so drawn with markers.
func ExampleLines() {
	epochs := []float64{1, 2, 3, 4, 5}
	img, err := plots.Lines("Training", "epoch", "loss",
		plots.Series{Name: "loss", X: epochs, Y: []float64{0.5, 0.2, 0.12, 0.09, 0.07}},
		plots.Series{Name: "val_loss", X: epochs, Y: []float64{0.25, 0.15, 0.11, 0.1, 0.1}},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds())
	// Output:
	// (0,0)-(640,400)
}

// The confidence of the source and target classes along an attack, with the
// Y axis fixed to [0, 1].
func ExampleLineChart() {
	var steps, source, target []float64
	for i := range 200 {
		p := 1 / (1 + math.Exp(-float64(i-100)/15))
		steps, source, target = append(steps, float64(i)), append(source, 1-p), append(target, p)
	}
	chart := plots.LineChart{Title: "Targeted attack 4 → 9", XLabel: "step", YLabel: "confidence", YMin: 0, YMax: 1}
	img, err := chart.Render(
		plots.Series{Name: "source (4)", X: steps, Y: source},
		plots.Series{Name: "target (9)", X: steps, Y: target},
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img.Bounds())
	// Output:
	// (0,0)-(640,400)
}

// Wrong inputs are reported, not drawn.
func ExampleDigit_validation() {
	_, err := plots.Digit(make([]float32, 99), "")
	fmt.Println(err)
	// Output:
	// plots: Digit: 99 values is not a square image: give side×side values, row-major
}
