package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot/text"
)

// Layout of Matrix, Mosaic and Bars, in pixels.
const (
	cellSize  = 52 // a Matrix cell
	labelBand = 30 // room for row or column labels
	titleBand = 26
)

// Matrix draws a table of numbers as coloured cells, white for the smallest
// value and dark blue for the largest (NaN cells grey and empty, +Inf cells
// dark red), each with its value printed by format (e.g. "%.2f"), rows and
// columns labelled, and a title above.
//
// It returns an error if values is empty or ragged, or if the labels do not
// match its size.
func Matrix(values [][]float64, rowLabels, colLabels []string, format, title string) (image.Image, error) {
	rows := len(values)
	if rows == 0 || len(values[0]) == 0 {
		return nil, fmt.Errorf("plots: Matrix: no values")
	}
	cols := len(values[0])
	for r, row := range values {
		if len(row) != cols {
			return nil, fmt.Errorf("plots: Matrix: row %d has %d values, row 0 has %d", r, len(row), cols)
		}
	}
	if len(rowLabels) != rows || len(colLabels) != cols {
		return nil, fmt.Errorf("plots: Matrix: %d×%d values but %d row and %d column labels", rows, cols, len(rowLabels), len(colLabels))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range values {
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	w := labelBand + cols*cellSize + 2*pad
	h := titleBand + labelBand + rows*cellSize + 2*pad
	w = max(w, int(math.Ceil(textWidth(title, captionPts)))+2*pad)
	p := newPanel(w, h)
	p.text(title, captionPts, w/2, pad+titleBand/2-2, text.XCenter, text.YCenter)
	top, left := pad+titleBand+labelBand, pad+labelBand
	for c, label := range colLabels {
		p.text(label, labelPts, left+c*cellSize+cellSize/2, top-labelBand/2, text.XCenter, text.YCenter)
	}
	for r, row := range values {
		p.text(rowLabels[r], labelPts, left-labelBand/2, top+r*cellSize+cellSize/2, text.XCenter, text.YCenter)
		for c, v := range row {
			cell := image.Rect(left+c*cellSize, top+r*cellSize, left+(c+1)*cellSize, top+(r+1)*cellSize)
			switch {
			case math.IsNaN(v):
				p.fill(cell, color.Gray{Y: 0xdd})
				continue
			case math.IsInf(v, 1):
				p.fill(cell, color.RGBA{103, 0, 31, 255})
			default:
				t := 0.0
				if hi > lo {
					t = (v - lo) / (hi - lo)
				}
				p.fill(cell, diverging(-t))
			}
			p.outline(cell.Inset(1), color.White)
			label := fmt.Sprintf(format, v)
			if math.IsInf(v, 1) {
				label = "∞"
			}
			p.textColor(label, labelPts, cell.Min.X+cellSize/2, cell.Min.Y+cellSize/2, text.XCenter, text.YCenter, textOn(v, lo, hi))
		}
	}
	return p.img, nil
}

// textOn picks black or white text for a cell of value v on the Matrix scale.
func textOn(v, lo, hi float64) color.Color {
	if math.IsInf(v, 1) || hi > lo && (v-lo)/(hi-lo) > 0.6 {
		return color.White
	}
	return color.Black
}

// Mosaic draws rows of small square images (each cell pixels wide, without
// captions), with a label before each row and above each column: a compact
// table of digits. A nil image leaves its cell blank.
//
// It returns an error if an image is not square or holds NaN or infinite
// values, or if the labels do not match the rows and columns.
func Mosaic(rows [][][]float32, rowLabels, colLabels []string, cell int, title string) (image.Image, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("plots: Mosaic: no images")
	}
	cols := len(rows[0])
	if len(rowLabels) != len(rows) || len(colLabels) != cols {
		return nil, fmt.Errorf("plots: Mosaic: %d×%d images but %d row and %d column labels", len(rows), cols, len(rowLabels), len(colLabels))
	}
	const gapPx = 2
	w := labelBand + cols*(cell+gapPx) + 2*pad
	h := titleBand + labelBand + len(rows)*(cell+gapPx) + 2*pad
	p := newPanel(w, h)
	p.text(title, captionPts, w/2, pad+titleBand/2-2, text.XCenter, text.YCenter)
	top, left := pad+titleBand+labelBand, pad+labelBand
	for c, label := range colLabels {
		p.text(label, labelPts, left+c*(cell+gapPx)+cell/2, top-labelBand/2, text.XCenter, text.YCenter)
	}
	for r, row := range rows {
		if len(row) != cols {
			return nil, fmt.Errorf("plots: Mosaic: row %d has %d images, row 0 has %d", r, len(row), cols)
		}
		y := top + r*(cell+gapPx)
		p.text(rowLabels[r], labelPts, left-labelBand/2, y+cell/2, text.XCenter, text.YCenter)
		for c, pixels := range row {
			if pixels == nil {
				continue
			}
			side, err := squareSide("Mosaic", pixels)
			if err != nil {
				return nil, err
			}
			x := left + c*(cell+gapPx)
			drawPixels(p, image.Rect(x, y, x+cell, y+cell), side, func(i int) color.Color {
				v := math.Round(float64(pixels[i]) * 255)
				return color.Gray{Y: uint8(min(max(v, 0), 255))}
			})
		}
	}
	return p.img, nil
}

// Bars draws a horizontal bar chart of values in [0, 1] (probabilities),
// one labelled bar each, the highlighted one in red, with a title above.
func Bars(values []float64, labels []string, highlight int, title string) (image.Image, error) {
	if len(values) == 0 || len(labels) != len(values) {
		return nil, fmt.Errorf("plots: Bars: %d values and %d labels", len(values), len(labels))
	}
	const barH, barW, valueW = 18, 200, 44
	w := max(labelBand+barW+valueW+2*pad, int(math.Ceil(textWidth(title, captionPts)))+2*pad)
	h := titleBand + len(values)*(barH+4) + 2*pad
	p := newPanel(w, h)
	p.text(title, captionPts, w/2, pad+titleBand/2-2, text.XCenter, text.YCenter)
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("plots: Bars: value %d is %v", i, v)
		}
		y := pad + titleBand + i*(barH+4)
		p.text(labels[i], labelPts, pad+labelBand/2, y+barH/2, text.XCenter, text.YCenter)
		bar := color.RGBA{0x1f, 0x77, 0xb4, 0xff}
		if i == highlight {
			bar = color.RGBA{0xd6, 0x27, 0x28, 0xff}
		}
		x := pad + labelBand
		p.fill(image.Rect(x, y, x+barW, y+barH), color.Gray{Y: 0xee})
		p.fill(image.Rect(x, y, x+int(math.Round(min(max(v, 0), 1)*barW)), y+barH), bar)
		p.text(fmt.Sprintf("%.2f", v), labelPts, x+barW+4, y+barH/2, text.XLeft, text.YCenter)
	}
	return p.img, nil
}
