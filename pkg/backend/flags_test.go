package backend

import (
	"os"
	"strings"
	"testing"
)

func TestRepeatableFlagsAddedUnlessSet(t *testing.T) {
	t.Setenv(EnvXLAFlags, "--xla_cpu_max_isa=AVX512 --xla_dump_to=/tmp/x")
	setRepeatableFlags()
	flags := strings.Fields(os.Getenv(EnvXLAFlags))
	want := []string{"--xla_cpu_max_isa=AVX512", "--xla_dump_to=/tmp/x", "--xla_cpu_enable_platform_dependent_math=false"}
	if strings.Join(flags, " ") != strings.Join(want, " ") {
		t.Errorf("XLA_FLAGS = %q, want %q: the user's max_isa wins, the other flag is added", flags, want)
	}
	t.Setenv(EnvXLAFlags, "")
	setRepeatableFlags()
	if got := os.Getenv(EnvXLAFlags); got != strings.Join(RepeatableFlags, " ") {
		t.Errorf("XLA_FLAGS = %q, want %q", got, strings.Join(RepeatableFlags, " "))
	}
}
