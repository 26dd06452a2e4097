package plots

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
)

// legendEntry is one item of a chart legend: a name and the plotters whose
// thumbnails represent it.
type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// Legend layout, in points.
const (
	legendFont    = 11
	legendThumb   = 22 // thumbnail width
	legendSpacing = 6  // between a thumbnail and its name
	legendItemGap = 18 // between items of a row
)

// drawLegend draws the entries as horizontal rows of items, centred at the
// top of c, wrapping to more rows when needed. It returns the height used
// (zero when no entry has a name).
func drawLegend(c vgdraw.Canvas, entries []legendEntry) vg.Length {
	sty := textStyle(legendFont)
	sty.YAlign = vgdraw.YCenter
	width := func(e legendEntry) vg.Length {
		return legendThumb + legendSpacing + sty.Width(e.name)
	}

	// Split the named entries into rows that fit the canvas width.
	var rows [][]legendEntry
	var rowW vg.Length
	for _, e := range entries {
		if e.name == "" {
			continue
		}
		ew := width(e)
		if len(rows) == 0 || rowW+legendItemGap+ew > c.Size().X {
			rows = append(rows, nil)
			rowW = -legendItemGap
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], e)
		rowW += legendItemGap + ew
	}
	if len(rows) == 0 {
		return 0
	}

	rowH := sty.Height("Mg") + vg.Points(4)
	y := c.Max.Y - vg.Points(2) - rowH/2
	for _, row := range rows {
		var total vg.Length = -legendItemGap
		for _, e := range row {
			total += legendItemGap + width(e)
		}
		x := c.Center().X - total/2
		for _, e := range row {
			thumb := vgdraw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y - rowH/2 + vg.Points(2)},
				Max: vg.Point{X: x + legendThumb, Y: y + rowH/2 - vg.Points(2)},
			}}
			for _, t := range e.thumbs {
				t.Thumbnail(&thumb)
			}
			c.FillText(sty, vg.Point{X: x + legendThumb + legendSpacing, Y: y}, e.name)
			x += width(e) + legendItemGap
		}
		y -= rowH
	}
	return vg.Length(len(rows))*rowH + vg.Points(6)
}
