package plots

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot/text"
)

// Digit renders a square grayscale image (an MNIST digit) as a panel: black
// background, white strokes (like matplotlib's "gray" colour map), each
// pixel upscaled to a crisp block, with caption as a title above it (e.g.
// "prediction: 4; confidence: 0.32").
//
// pixels is a flat row-major image of side×side values in [0, 1]; values
// outside that range are clamped. An empty caption leaves out the title band,
// which keeps grids of digits compact. The image area is 280 pixels square (a
// 28×28 digit gets 10×10 blocks), the panel 296 pixels wide (wider if the
// caption needs it) and 296 tall, plus 22 with a caption.
//
// It returns an error if pixels is not a square image or holds NaN or
// infinite values.
func Digit(pixels []float32, caption string) (image.Image, error) {
	side, err := squareSide("Digit", pixels)
	if err != nil {
		return nil, err
	}
	w, area := panelFrame(caption, areaSize)
	p := newPanel(w, area.Max.Y+pad)
	drawCaption(p, caption)
	drawPixels(p, area, side, func(i int) color.Color {
		v := math.Round(float64(pixels[i]) * 255)
		return color.Gray{Y: uint8(min(max(v, 0), 255))}
	})
	return p.img, nil
}

// panelFrame returns the width of a panel whose content is contentW pixels
// wide, and the position of its upscaled image area. The panel is widened,
// and the content centred, when the caption is wider than the content.
func panelFrame(caption string, contentW int) (width int, area image.Rectangle) {
	width = contentW + 2*pad
	if caption != "" {
		width = max(width, int(math.Ceil(textWidth(caption, captionPts)))+2*pad)
	}
	top := pad
	if caption != "" {
		top += captionH
	}
	left := (width - contentW) / 2
	return width, image.Rect(left, top, left+areaSize, top+areaSize)
}

// drawCaption draws the caption centred in the band at the top of the panel.
func drawCaption(p *panel, caption string) {
	if caption == "" {
		return
	}
	p.text(caption, captionPts, p.img.Bounds().Dx()/2, pad+captionH/2-2, text.XCenter, text.YCenter)
}

// drawPixels fills area with side×side upscaled blocks in the colours
// returned by colorAt for each flat pixel index.
func drawPixels(p *panel, area image.Rectangle, side int, colorAt func(i int) color.Color) {
	edge := func(k, origin, size int) int { return origin + k*size/side }
	for row := range side {
		for col := range side {
			r := image.Rect(edge(col, area.Min.X, area.Dx()), edge(row, area.Min.Y, area.Dy()),
				edge(col+1, area.Min.X, area.Dx()), edge(row+1, area.Min.Y, area.Dy()))
			p.fill(r, colorAt(row*side+col))
		}
	}
}
