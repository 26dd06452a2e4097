package cnn_test

import (
	"strings"
	"testing"

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
