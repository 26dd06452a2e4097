package plots

import (
	"image/color"
	"math"
)

// Diverging colour map anchors, from zero (exactly white) to the largest
// magnitude, for positive (red) and negative (blue) values. The hues follow
// the ColorBrewer RdBu scheme (matplotlib's RdBu_r), with a pure white centre.
var (
	positiveRamp = []color.RGBA{
		{255, 255, 255, 255}, {253, 219, 199, 255}, {244, 165, 130, 255},
		{214, 96, 77, 255}, {178, 24, 43, 255}, {103, 0, 31, 255},
	}
	negativeRamp = []color.RGBA{
		{255, 255, 255, 255}, {209, 229, 240, 255}, {146, 197, 222, 255},
		{67, 147, 195, 255}, {33, 102, 172, 255}, {5, 48, 97, 255},
	}
)

// diverging maps t in [-1, 1] to a blue-white-red colour: 0 is exactly white,
// positive values are red and negative values blue. t is clamped to [-1, 1].
func diverging(t float64) color.RGBA {
	ramp := positiveRamp
	if t < 0 {
		ramp, t = negativeRamp, -t
	}
	t = min(t, 1) * float64(len(ramp)-1)
	i := min(int(t), len(ramp)-2)
	f := t - float64(i)
	a, b := ramp[i], ramp[i+1]
	mix := func(x, y uint8) uint8 {
		return uint8(math.Round(float64(x) + f*(float64(y)-float64(x))))
	}
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}
