package backend

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// CPUFlags are the instruction-set features that decide how fast XLA and
// TensorFlow run on an x86-64 CPU: what timings should be printed with.
var CPUFlags = []string{"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"}

// CPU describes the machine's processor for a timing: its model name, the
// logical cores Go sees, and which of CPUFlags it has, e.g. "Intel(R)
// Xeon(R) ..., 2 cores, avx2 fma avx512f". Off Linux (no /proc/cpuinfo) it
// gives the architecture and cores only.
func CPU() string {
	desc := runtime.GOARCH
	var flags []string
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			key, value, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(key) {
			case "model name":
				if desc == runtime.GOARCH {
					desc = strings.TrimSpace(value)
				}
			case "flags":
				if flags == nil {
					have := strings.Fields(value)
					flags = []string{}
					for _, f := range CPUFlags {
						if slices.Contains(have, f) {
							flags = append(flags, f)
						}
					}
				}
			}
		}
	}
	desc += ", " + strconv.Itoa(runtime.NumCPU()) + " cores"
	if len(flags) > 0 {
		desc += ", " + strings.Join(flags, " ")
	}
	return desc
}
