package plots

import (
	"image"
	"image/color"
	"image/draw"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Layout of the pixel panels (Digit and Heatmap), in image pixels.
const (
	areaSize   = 280 // width and height of the upscaled image area (28×28 pixels at 10×)
	pad        = 8   // margin around a panel's content
	captionH   = 22  // height of the caption band above the image area
	captionPts = 14  // caption font size (1 pt = 1 px in panels)
)

// sans is the font used for all text: Liberation Sans, embedded in gonum/plot.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// panel is a white image on which pixels are drawn directly (y pointing
// down) and text is drawn through a gonum vg canvas (y pointing up).
type panel struct {
	img *image.RGBA
	vc  vgdraw.Canvas
	h   int
}

// newPanel returns a white w×h panel. Its vg canvas uses 72 DPI, so that one
// vg point is one image pixel.
func newPanel(w, h int) *panel {
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w), vg.Length(h)), vgimg.UseDPI(72))
	return &panel{img: c.Image().(*image.RGBA), vc: vgdraw.New(c), h: h}
}

// fill paints the rectangle r with colour c, with no blending.
func (p *panel) fill(r image.Rectangle, c color.Color) {
	draw.Draw(p.img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// outline draws a 1-pixel frame just outside the rectangle r.
func (p *panel) outline(r image.Rectangle, c color.Color) {
	r = r.Inset(-1)
	p.fill(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	p.fill(image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	p.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	p.fill(image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// text draws txt in black with the given size and alignment at (x, y), in
// image coordinates (y pointing down).
func (p *panel) text(txt string, size float64, x, y int, xAlign text.XAlignment, yAlign text.YAlignment) {
	p.textColor(txt, size, x, y, xAlign, yAlign, color.Black)
}

// textColor is text in colour c.
func (p *panel) textColor(txt string, size float64, x, y int, xAlign text.XAlignment, yAlign text.YAlignment, c color.Color) {
	sty := textStyle(size)
	sty.XAlign, sty.YAlign, sty.Color = xAlign, yAlign, c
	p.vc.FillText(sty, vg.Point{X: vg.Length(x), Y: vg.Length(p.h - y)}, txt)
}

// textStyle returns a black sans-serif text style of the given size in points.
func textStyle(size float64) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sans, vg.Length(size)),
		Handler: plot.DefaultTextHandler,
	}
}

// textWidth returns the width of txt, in points, at the given font size.
func textWidth(txt string, size float64) float64 {
	return float64(textStyle(size).Width(txt))
}
