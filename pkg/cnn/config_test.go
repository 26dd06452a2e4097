package cnn_test

import (
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
)

func TestNumParamsMatchesTheArticlesExamples(t *testing.T) {
	for _, tc := range []struct {
		cfg  cnn.Config
		want int
	}{
		{cnn.Config{Filters: 6, Kernel: 3, Pool: 2}, 10210},
		{cnn.Config{Filters: 16, Kernel: 3, Pool: 3}, 10410},
	} {
		if got := tc.cfg.NumParams(); got != tc.want {
			t.Errorf("%s: NumParams = %d, want %d", tc.cfg, got, tc.want)
		}
	}
}

func TestDefaultWithinTheArticlesBudget(t *testing.T) {
	if n := cnn.Default.NumParams(); n < 8000 || n > 12000 {
		t.Fatalf("Default %s has %d parameters, outside 8,000..12,000", cnn.Default, n)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  cnn.Config
		want string
	}{
		{cnn.Config{Filters: 0, Kernel: 3, Pool: 2}, "Filters"},
		{cnn.Config{Filters: 4, Kernel: 0, Pool: 2}, "Kernel"},
		{cnn.Config{Filters: 4, Kernel: 29, Pool: 2}, "Kernel"},
		{cnn.Config{Filters: 4, Kernel: 3, Pool: 0}, "Pool"},
		{cnn.Config{Filters: 4, Kernel: 27, Pool: 3}, "Pool"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: Validate() = %v, want an error about %s", tc.cfg, err, tc.want)
		}
	}
	if err := cnn.Default.Validate(); err != nil {
		t.Errorf("Default: %v", err)
	}
}

func TestRobustNetwork(t *testing.T) {
	if err := cnn.Robust.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := cnn.New(testutil.XLA(t), cnn.Robust, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.NumParams(), cnn.Robust.NumParams(); got != want {
		t.Errorf("the network holds %d weights, its config counts %d", got, want)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := cnn.Load(testutil.XLA(t), dir)
	if err != nil || loaded.Config != cnn.Robust {
		t.Fatalf("loaded %+v, %v", loaded, err)
	}
	if !strings.Contains(m.Summary(), "Conv2D + ReLU") {
		t.Errorf("summary:\n%s", m.Summary())
	}
	for _, bad := range []cnn.Config{{Filters: 4, Kernel: 5, Pool: 2, Filters2: 8}, {Filters: 4, Kernel: 5, Pool: 2, Hidden: 8},
		{Filters: 4, Kernel: 9, Pool: 4, Filters2: 8, Hidden: 8}} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
