package plots

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one named curve of a line chart: the points (X[i], Y[i]).
type Series struct {
	Name string
	X, Y []float64
}

// LineChart configures a line chart; the zero value of each field is a
// sensible default. Draw it with [LineChart.Render], or use the [Lines]
// shorthand.
type LineChart struct {
	// Title, XLabel and YLabel are the chart title and axis labels; empty
	// strings leave them out.
	Title, XLabel, YLabel string

	// YMin and YMax fix the range of the Y axis when YMin < YMax (e.g. 0 and
	// 1 for confidences); otherwise the range fits the data.
	YMin, YMax float64

	// Width and Height are the image size in pixels; zero means 640×400.
	Width, Height int
}

// Chart rendering parameters.
const (
	chartDPI        = 96
	defaultWidth    = 640
	defaultHeight   = 400
	maxMarkedPoints = 50 // series with at most this many points get markers
	maxTicks        = 8  // most labelled ticks on an axis
)

// palette holds the series colours (matplotlib's "tab10" colour cycle).
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

// glyphs holds the marker shapes, cycled with a different period than the
// colours so that series stay distinguishable in grayscale.
var glyphs = []vgdraw.GlyphDrawer{
	vgdraw.CircleGlyph{}, vgdraw.BoxGlyph{}, vgdraw.PyramidGlyph{},
	vgdraw.CrossGlyph{}, vgdraw.RingGlyph{}, vgdraw.SquareGlyph{},
	vgdraw.TriangleGlyph{},
}

// Lines renders a line chart of the given series with a title, axis labels,
// a legend above the plot area (so it never covers the data) and light grid
// lines. Series with at most 50 points are drawn with markers, longer ones
// as plain lines. It is a shorthand for [LineChart.Render] with default size
// and automatic ranges.
//
// It returns an error naming the offending series if there is no series, or
// a series is empty, has X and Y of different lengths or holds NaN or
// infinite values.
func Lines(title, xLabel, yLabel string, series ...Series) (image.Image, error) {
	return LineChart{Title: title, XLabel: xLabel, YLabel: yLabel}.Render(series...)
}

// Render draws the chart of the given series; see [Lines].
func (lc LineChart) Render(series ...Series) (image.Image, error) {
	if err := checkSeries(series); err != nil {
		return nil, err
	}
	w, h := lc.Width, lc.Height
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}

	p := plot.New()
	styleAxis(&p.X, lc.XLabel)
	styleAxis(&p.Y, lc.YLabel)
	grid := plotter.NewGrid()
	grid.Vertical = vgdraw.LineStyle{Color: color.Gray{Y: 0xdd}, Width: vg.Points(0.75)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)

	marked := true
	for _, s := range series {
		marked = marked && len(s.Y) <= maxMarkedPoints
	}
	entries := make([]legendEntry, len(series))
	for i, s := range series {
		xys := make(plotter.XYs, len(s.X))
		for j := range s.X {
			xys[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plots: series %q: %w", s.Name, err)
		}
		clr := palette[i%len(palette)]
		line.LineStyle = vgdraw.LineStyle{Color: clr, Width: vg.Points(1.5)}
		entries[i] = legendEntry{name: s.Name, thumbs: []plot.Thumbnailer{line}}
		p.Add(line)
		if marked {
			dots, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("plots: series %q: %w", s.Name, err)
			}
			dots.GlyphStyle = vgdraw.GlyphStyle{Color: clr, Radius: vg.Points(2.5), Shape: glyphs[i%len(glyphs)]}
			entries[i].thumbs = append(entries[i].thumbs, dots)
			p.Add(dots)
		}
	}
	p.X.Tick.Marker = niceTicks(allIntegers(series))
	p.Y.Tick.Marker = niceTicks(false)
	if lc.YMin < lc.YMax {
		p.Y.Min, p.Y.Max = lc.YMin, lc.YMax
	}

	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(w)*vg.Inch/chartDPI, vg.Length(h)*vg.Inch/chartDPI),
		vgimg.UseDPI(chartDPI))
	dc := vgdraw.Crop(vgdraw.New(c), vg.Points(4), -vg.Points(12), vg.Points(4), -vg.Points(6))
	if lc.Title != "" {
		sty := textStyle(13)
		sty.XAlign, sty.YAlign = vgdraw.XCenter, vgdraw.YTop
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y}, lc.Title)
		dc.Max.Y -= sty.Height(lc.Title) + vg.Points(4)
	}
	dc.Max.Y -= drawLegend(dc, entries)
	p.Draw(dc)
	return c.Image(), nil
}

// styleAxis sets the fonts and label of a chart axis.
func styleAxis(a *plot.Axis, label string) {
	a.Label.Text = label
	a.Label.TextStyle.Font = font.From(sans, 12)
	a.Tick.Label.Font = font.From(sans, 10)
}

// checkSeries validates the chart input, naming the offending series.
func checkSeries(series []Series) error {
	if len(series) == 0 {
		return errors.New("plots: line chart needs at least one series")
	}
	for _, s := range series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("plots: series %q: X has %d values but Y has %d", s.Name, len(s.X), len(s.Y))
		}
		if len(s.X) == 0 {
			return fmt.Errorf("plots: series %q is empty", s.Name)
		}
		for i := range s.X {
			for _, v := range [2]float64{s.X[i], s.Y[i]} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("plots: series %q: point %d is (%v, %v)", s.Name, i, s.X[i], s.Y[i])
				}
			}
		}
	}
	return nil
}

// allIntegers reports whether all X values are integers (e.g. epochs or
// attack steps).
func allIntegers(series []Series) bool {
	for _, s := range series {
		for _, x := range s.X {
			if x != math.Trunc(x) || math.Abs(x) > 1e15 {
				return false
			}
		}
	}
	return true
}

// niceTicks returns a ticker placing about 4 to 8 labelled ticks at a step
// of 1, 2, 2.5 or 5 times a power of ten; with integers set, the step is
// at least 1 (for epochs or attack steps).
func niceTicks(integers bool) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		span := hi - lo
		mag := math.Pow(10, math.Floor(math.Log10(span/maxTicks)))
		step := 10 * mag
		for _, m := range []float64{1, 2, 2.5, 5} {
			if m*mag*maxTicks >= span {
				step = m * mag
				break
			}
		}
		if integers {
			step = max(math.Round(step), 1)
		}
		// Decimals needed to print multiples of step exactly.
		decimals := 0
		if s := strconv.FormatFloat(step, 'f', -1, 64); strings.Contains(s, ".") {
			decimals = min(len(s)-strings.Index(s, ".")-1, 15)
		}
		var ticks []plot.Tick
		for k := math.Ceil(lo/step - 1e-9); k*step <= hi+1e-9*step; k++ {
			v := k * step
			if v == 0 {
				v = 0 // no "-0"
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
		}
		return ticks
	})
}
