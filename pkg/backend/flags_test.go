package backend

import (
	"strings"
	"testing"
)

func TestRepeatableFlagsAddedUnlessSet(t *testing.T) {
	flags := strings.Fields(addFlags("--xla_cpu_max_isa=AVX512 --xla_dump_to=/tmp/x", RepeatableFlags))
	want := []string{"--xla_cpu_max_isa=AVX512", "--xla_dump_to=/tmp/x", "--xla_cpu_enable_platform_dependent_math=false"}
	if strings.Join(flags, " ") != strings.Join(want, " ") {
		t.Errorf("XLA_FLAGS = %q, want %q: the user's max_isa wins, the other flag is added", flags, want)
	}
	if got := addFlags("", RepeatableFlags); got != strings.Join(RepeatableFlags, " ") {
		t.Errorf("XLA_FLAGS = %q, want %q", got, strings.Join(RepeatableFlags, " "))
	}
}

func TestCutOption(t *testing.T) {
	for _, c := range []struct {
		in, rest string
		found    bool
	}{
		{"", "", false},
		{"onednn", "", true},
		{"shared_buffers=false,onednn", "shared_buffers=false", true},
		{"onednn,shared_buffers=false", "shared_buffers=false", true},
		{"shared_buffers=false", "shared_buffers=false", false},
		{"onednnx", "onednnx", false},
	} {
		rest, found := cutOption(c.in, OptionOneDNN)
		if rest != c.rest || found != c.found {
			t.Errorf("cutOption(%q) = %q, %v; want %q, %v", c.in, rest, found, c.rest, c.found)
		}
	}
}
