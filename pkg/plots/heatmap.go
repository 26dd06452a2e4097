package plots

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot/text"
)

// Layout of the heatmap colour bar, in pixels.
const (
	barGap    = 14 // between the image area and the colour bar
	barWidth  = 14
	tickLen   = 4
	labelGap  = 3
	labelPts  = 11
	frameGray = 0x99
)

// Heatmap renders a signed square map (a perturbation such as adversarial −
// original, a gradient, a Jacobian slice) with a diverging blue-white-red
// colour map, like matplotlib's RdBu_r: zero is exactly white, positive values
// are red, negative values blue. The scale is symmetric around zero and set by
// the largest magnitude max|v|, which a colour bar on the right labels; an
// all-zero map renders all white. Pixels are upscaled to crisp blocks
// framed by a thin gray border, with caption as a title above (an empty
// caption leaves out the title band).
//
// It returns an error if values is not a square image or holds NaN or
// infinite values.
func Heatmap(values []float32, caption string) (image.Image, error) {
	side, err := squareSide("Heatmap", values)
	if err != nil {
		return nil, err
	}
	var maxAbs float64
	for _, v := range values {
		maxAbs = max(maxAbs, math.Abs(float64(v)))
	}

	ticks := []float64{1, 0.5, 0, -0.5, -1}
	if maxAbs == 0 {
		ticks = []float64{0} // everything is white: only zero has a meaning
	}
	labels := make([]string, len(ticks))
	labelW := 0.0
	for i, t := range ticks {
		labels[i] = formatTick(t * maxAbs)
		labelW = max(labelW, textWidth(labels[i], labelPts))
	}
	contentW := areaSize + barGap + barWidth + tickLen + labelGap + int(math.Ceil(labelW))
	w, area := panelFrame(caption, contentW)
	p := newPanel(w, area.Max.Y+pad)
	drawCaption(p, caption)

	frame := color.Gray{Y: frameGray}
	drawPixels(p, area, side, func(i int) color.Color {
		if maxAbs == 0 {
			return diverging(0)
		}
		return diverging(float64(values[i]) / maxAbs)
	})
	p.outline(area, frame)

	// Colour bar: +max at the top, -max at the bottom, one colour per pixel row.
	bar := image.Rect(area.Max.X+barGap, area.Min.Y, area.Max.X+barGap+barWidth, area.Max.Y)
	for y := bar.Min.Y; y < bar.Max.Y; y++ {
		t := 1 - 2*(float64(y-bar.Min.Y)+0.5)/float64(bar.Dy())
		if maxAbs == 0 {
			t = 0
		}
		p.fill(image.Rect(bar.Min.X, y, bar.Max.X, y+1), diverging(t))
	}
	p.outline(bar, frame)
	for i, t := range ticks {
		y := bar.Min.Y + int(math.Round((1-t)/2*float64(bar.Dy()-1)))
		p.fill(image.Rect(bar.Max.X, y, bar.Max.X+tickLen, y+1), frame)
		p.text(labels[i], labelPts, bar.Max.X+tickLen+labelGap, y, text.XLeft, text.YCenter)
	}
	return p.img, nil
}

// formatTick formats a colour bar value with 3 significant digits.
func formatTick(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
