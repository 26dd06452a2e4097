package plots

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// gap is the white space, in pixels, between panels of a Row or Grid.
const gap = 6

// Row places panels side by side, left to right, top-aligned, on a white
// background with a small gap between them. Each panel keeps its own width;
// the row is as tall as the tallest panel. A nil panel is skipped. With no
// panels it returns an empty (0×0) image.
func Row(panels ...image.Image) image.Image {
	var w, h, n int
	for _, p := range panels {
		if p == nil {
			continue
		}
		w += p.Bounds().Dx()
		h = max(h, p.Bounds().Dy())
		n++
	}
	if n == 0 {
		return image.NewRGBA(image.Rectangle{})
	}
	dst := whiteImage(w+gap*(n-1), h)
	x := 0
	for _, p := range panels {
		if p == nil {
			continue
		}
		paste(dst, p, image.Pt(x, 0))
		x += p.Bounds().Dx() + gap
	}
	return dst
}

// Grid places panels in a grid with cols columns, filled row by row, on a
// white background with a small gap between cells (e.g. a 4×8 grid of sample
// digits with cols = 8). All cells have the size of the largest panel, and
// each panel is aligned to the top-left corner of its cell. A nil panel leaves
// its cell empty. A cols of 0 (the zero value), or above the number of
// panels, puts all the panels in a single row; a negative one is an error.
// With no panels it returns an empty (0×0) image. It returns an error like
// every figure function, so that its result goes straight to a notebook's
// show.
func Grid(cols int, panels ...image.Image) (image.Image, error) {
	if cols < 0 {
		return nil, fmt.Errorf("plots: Grid with %d columns: use 0 for one row, or a positive count", cols)
	}
	if len(panels) == 0 {
		return image.NewRGBA(image.Rectangle{}), nil
	}
	if cols == 0 || cols > len(panels) {
		cols = len(panels)
	}
	rows := (len(panels) + cols - 1) / cols
	var cw, ch int
	for _, p := range panels {
		if p != nil {
			cw = max(cw, p.Bounds().Dx())
			ch = max(ch, p.Bounds().Dy())
		}
	}
	dst := whiteImage(cols*cw+(cols-1)*gap, rows*ch+(rows-1)*gap)
	for i, p := range panels {
		if p != nil {
			paste(dst, p, image.Pt((i%cols)*(cw+gap), (i/cols)*(ch+gap)))
		}
	}
	return dst, nil
}

// whiteImage returns a w×h image filled with white.
func whiteImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

// paste draws src over dst with its top-left corner at at.
func paste(dst *image.RGBA, src image.Image, at image.Point) {
	r := image.Rectangle{Min: at, Max: at.Add(src.Bounds().Size())}
	draw.Draw(dst, r, src, src.Bounds().Min, draw.Over)
}
