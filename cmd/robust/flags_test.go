package main

import (
	"math"
	"strings"
	"testing"

	"github.com/advmlgo/advml/pkg/cnn"
)

// TestBadFlagsNameTheValue: each bad flag gets a one-line error naming the
// flag and its value.
func TestBadFlagsNameTheValue(t *testing.T) {
	good := flags{epsilon: 0.3, mode: "pgd", n: 10000}
	if err := good.validate(); err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
	for _, c := range []struct {
		edit func(*flags)
		want string
	}{
		{func(f *flags) { f.epsilon = 1.5 }, "-eps 1.5"},
		{func(f *flags) { f.mode = "madry" }, `-mode "madry"`},
		{func(f *flags) { f.n = 0 }, "-n 0"},
		{func(f *flags) { f.from = 9999 }, "-from 9999"},
		{func(f *flags) { f.epochs = -1 }, "-epochs -1"},
		{func(f *flags) { f.warmup = -2 }, "-warmup -2"},
		{func(f *flags) { f.patience = -3 }, "-patience -3"},
		{func(f *flags) { f.hidden = -1 }, "-hidden -1"},
		{func(f *flags) { f.devices = -2 }, "-devices -2"},
		{func(f *flags) { f.load, f.trainOnly = true, true }, "-load with -train-only"},
		{func(f *flags) { f.arch = "resnet" }, `-arch "resnet"`},
		{func(f *flags) { f.arch, f.filters = "madry", 8 }, "-arch madry with -filters"},
		{func(f *flags) { f.arch, f.filters2 = "lenetsmall", -1 }, "-filters2 -1"},
		{func(f *flags) { f.recipe = "trades" }, `-recipe "trades"`},
		{func(f *flags) { f.recipe, f.set = "pgd-madry", map[string]bool{"mode": true} }, "-recipe pgd-madry with -arch, -mode"},
		{func(f *flags) { f.steps = -1 }, "-steps -1"},
		{func(f *flags) { f.lr = -0.1 }, "-lr -0.1"},
		{func(f *flags) { f.awp = -0.005 }, "-awp -0.005"},
		{func(f *flags) { f.fraction = 1.5 }, "-adv-fraction 1.5"},
		{func(f *flags) { f.decayEpoch = -1 }, "-decay-epoch -1"},
		{func(f *flags) { f.averageFrom = -1 }, "-average-from -1"},
	} {
		f := good
		c.edit(&f)
		err := f.validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want a one-line error containing %q, got %v", c.want, err)
		}
	}
}

// TestWidenedLeNetSmall: -filters, -filters2 and -hidden widen -arch
// lenetsmall (whatever its case) as they size the compact network; left
// out, they keep its own widths.
func TestWidenedLeNetSmall(t *testing.T) {
	for _, c := range []struct {
		f    flags
		want cnn.Config
	}{
		{flags{arch: "LeNetSmall", filters: 32, filters2: 64, hidden: 200}, cnn.LeNetSmallWide},
		{flags{arch: "lenetsmall"}, cnn.LeNetSmall},
		{flags{filters: 8}, cnn.Config{Filters: 8, Kernel: 5, Pool: 2, Filters2: 32, Hidden: 128}},
	} {
		c.f.epsilon, c.f.mode, c.f.n = 0.1, "trades", 1000
		if err := c.f.validate(); err != nil {
			t.Fatalf("%+v: %v", c.f, err)
		}
		if got := c.f.robust(); got != c.want {
			t.Errorf("-arch %q -filters %d -filters2 %d -hidden %d: %+v, want %+v", c.f.arch, c.f.filters, c.f.filters2, c.f.hidden, got, c.want)
		}
	}
}

// TestRecipeFlags: -recipe pgd-lenetsmall is Croce et al.'s schedule (the
// rate cut at epoch 90 of 100, half of each batch attacked by 40 steps of
// 0.005 at ε 0.1); -epochs moves the cut to the last tenth, -cosine
// replaces it, -decay-epoch and -adv-fraction set their own, and
// -average-from averages the late epochs' weights.
func TestRecipeFlags(t *testing.T) {
	recipe := flags{epsilon: 0.1, mode: "pgd", n: 10000, recipe: "pgd-lenetsmall", set: map[string]bool{}}
	for _, c := range []struct {
		edit     func(*flags)
		epochs   int
		decay    int
		cosine   bool
		fraction float64
		average  int
	}{
		{func(*flags) {}, 100, 90, false, 0.5, 0},
		{func(f *flags) { f.averageFrom = 60 }, 100, 90, false, 0.5, 60},
		{func(f *flags) { f.epochs = 40 }, 40, 36, false, 0.5, 0},
		{func(f *flags) { f.epochs, f.cosine = 40, true }, 40, 0, true, 0.5, 0},
		{func(f *flags) { f.decayEpoch, f.set = 0, map[string]bool{"decay-epoch": true} }, 100, 0, false, 0.5, 0},
		{func(f *flags) { f.fraction, f.set = 1, map[string]bool{"adv-fraction": true} }, 100, 90, false, 1, 0},
	} {
		f := recipe
		c.edit(&f)
		if err := f.validate(); err != nil {
			t.Fatal(err)
		}
		o := f.options()
		a := o.Adversary
		if o.MaxEpochs != c.epochs || o.DecayEpoch != c.decay || o.CosineDecay != c.cosine || a.Fraction != c.fraction || o.AverageFrom != c.average ||
			o.BatchSize != 128 || a.Steps != 40 || math.Abs(a.StepSize-0.005) > 1e-12 || a.Epsilon != 0.1 {
			t.Errorf("%+v: %d epochs, decay at %d, cosine %v, %v (batch %d)", f, o.MaxEpochs, o.DecayEpoch, o.CosineDecay, a, o.BatchSize)
		}
	}
}
