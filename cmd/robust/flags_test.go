package main

import (
	"strings"
	"testing"
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
		{func(f *flags) { f.recipe = "trades" }, `-recipe "trades"`},
		{func(f *flags) { f.recipe, f.set = "pgd-madry", map[string]bool{"mode": true} }, "-recipe pgd-madry with -arch, -mode"},
		{func(f *flags) { f.steps = -1 }, "-steps -1"},
		{func(f *flags) { f.lr = -0.1 }, "-lr -0.1"},
	} {
		f := good
		c.edit(&f)
		err := f.validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("want a one-line error containing %q, got %v", c.want, err)
		}
	}
}
