package backend

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // Registers the "go" engine, used only when GOMLX_BACKEND asks for it.
	"github.com/gomlx/go-xla/compute/xla"
)

// EnvConfig is the environment variable that selects the engine (GoMLX's
// own): see the package documentation for its values.
const EnvConfig = compute.ConfigEnvVar

// EnvPluginPath lists, separated by ':', folders that hold PJRT plugins
// named pjrt_c_api_<platform>_plugin.so. It is searched before .pjrt.
const EnvPluginPath = "PJRT_PLUGIN_LIBRARY_PATH"

// PluginDir is the name of the folder, at the project's root, where
// `make plugin` links the installed PJRT plugins.
const PluginDir = ".pjrt"

// ErrNoGPU is returned (wrapped) when a GPU is asked for and none is visible.
var ErrNoGPU = errors.New("no NVIDIA GPU visible")

// PluginNotFoundError is returned when no PJRT plugin for the asked platform
// is installed. Its message says where it looked and how to fix it.
type PluginNotFoundError struct {
	Platform string   // "cpu" or "cuda".
	Searched []string // Folders that were searched, in order.
}

func (e *PluginNotFoundError) Error() string {
	install := "make plugin"
	if e.Platform == "cuda" {
		install = "make plugin PJRT=cuda12"
	}
	return fmt.Sprintf("XLA PJRT %s plugin (pjrt_c_api_%s_plugin.so) not found in %s: "+
		"install it with %q in the project folder (or point %s at the folder holding it), "+
		"or opt in to the slow pure-Go engine with %s=go",
		e.Platform, e.Platform, strings.Join(e.Searched, ", "), install, EnvPluginPath, EnvConfig)
}

var (
	muCache sync.Mutex
	cache   = map[string]compute.Backend{}
)

// New returns the engine selected by GOMLX_BACKEND (XLA on the CPU when it
// is unset). Engines are created once per configuration and shared: a PJRT
// client is expensive, and GoMLX backends are safe for concurrent use.
func New() (compute.Backend, error) {
	return NewWithConfig(os.Getenv(EnvConfig))
}

// MustNew is New for notebooks and examples: it panics with New's error.
func MustNew() compute.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// NewWithConfig returns the engine for config, which takes the values of
// GOMLX_BACKEND (see the package documentation); "" means XLA on the CPU.
func NewWithConfig(config string) (compute.Backend, error) {
	config = canonical(config)
	muCache.Lock()
	defer muCache.Unlock()
	if b, ok := cache[config]; ok {
		return b, nil
	}
	b, err := create(config)
	if err != nil {
		return nil, err
	}
	cache[config] = b
	return b, nil
}

// canonical spells the default engine one way, so that equivalent
// configurations share one engine.
func canonical(config string) string {
	config = strings.TrimSpace(config)
	switch {
	case config == "" || config == "xla":
		return "xla:cpu"
	case strings.HasPrefix(config, "xla:,"):
		return "xla:cpu" + strings.TrimPrefix(config, "xla:")
	}
	return config
}

func create(config string) (compute.Backend, error) {
	name, rest, _ := strings.Cut(config, ":")
	switch name {
	case "", "xla":
		return newXLA(rest)
	default:
		// "go", or another engine registered by the program.
		if !slices.Contains(compute.List(), name) {
			return nil, fmt.Errorf("%s=%q: no engine %q: use xla, xla:cpu, xla:cuda or go", EnvConfig, config, name)
		}
		b, err := compute.NewWithConfig(config)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %w", EnvConfig, config, err)
		}
		return b, nil
	}
}

// newXLA creates the XLA engine for "platform[,options]" (platform "cpu" by
// default, "cuda", or an absolute path to a plugin file).
func newXLA(spec string) (compute.Backend, error) {
	platform, options, _ := strings.Cut(spec, ",")
	if platform == "" {
		platform = "cpu"
	}
	if platform == "gpu" {
		platform = "cuda"
	}
	options, oneDNN := cutOption(options, OptionOneDNN)
	if oneDNN && platform != "cpu" {
		return nil, fmt.Errorf("%s=%q: the %s option routes XLA's CPU engine: drop it, or use xla:cpu,%s", EnvConfig, "xla:"+spec, OptionOneDNN, OptionOneDNN)
	}
	pluginPath := platform
	if !filepath.IsAbs(platform) {
		if platform == "cuda" && !HasNVIDIAGPU() {
			return nil, fmt.Errorf("%s=xla:cuda asks for a GPU: %w (no /dev/nvidia* device): "+
				"unset %s to run on the CPU, or run where a GPU is attached", EnvConfig, ErrNoGPU, EnvConfig)
		}
		var err error
		if pluginPath, err = FindPlugin(platform); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(platform); err != nil {
		return nil, fmt.Errorf("%s=xla:%s: PJRT plugin file: %w", EnvConfig, platform, err)
	}
	if platform == "cpu" {
		if err := setCPUFlags(oneDNN); err != nil {
			return nil, fmt.Errorf("%s=%q: %w", EnvConfig, "xla:"+spec, err)
		}
	}
	config := pluginPath
	if options != "" {
		config += "," + options
	}
	// Never download anything: plugins come from `make plugin`.
	xla.EnableAutoInstall(false)
	b, err := xla.New(config)
	if err != nil {
		return nil, fmt.Errorf("loading XLA PJRT plugin %s: %w", pluginPath, err)
	}
	return b, nil
}

// EnvXLAFlags is the environment variable XLA reads its flags from.
const EnvXLAFlags = "XLA_FLAGS"

// RepeatableFlags make XLA on the CPU compute the same bits on every x86-64
// CPU with AVX2 and FMA, so that training gives the same model everywhere.
// By default XLA's CPU plugin runs the convolutions and matrix products in
// YNNPACK, which picks its kernels by the CPU's features at run time: an
// AVX-512 machine and an AVX2 one sum in different orders and train
// slightly different models. The first flag restricts YNNPACK to kernels it
// marks consistent across CPUs; the second caps XLA's own code generation
// at AVX2 (without it the logged training loss still differs in its last
// bits). They cost about 5% of training time on this project's machine.
// CPUs without AVX2 and FMA are not covered (YNNPACK's consistent mode is
// very slow there).
var RepeatableFlags = []string{"--xla_cpu_enable_platform_dependent_math=false", "--xla_cpu_max_isa=AVX2"}

// OptionOneDNN is the engine option ("xla:cpu,onednn" in GOMLX_BACKEND)
// that runs the convolutions and matrix products in oneDNN, as TensorFlow
// does, instead of YNNPACK: OneDNNFlags. It roughly halves a step of
// adversarial training on the project's machine (see docs/performance.md),
// but oneDNN picks its kernels by the CPU's features, so a model trained
// with it is repeatable on one machine, not bit for bit across CPUs. The
// other RepeatableFlags stay.
const OptionOneDNN = "onednn"

// OneDNNFlags are the XLA flags of OptionOneDNN: oneDNN's custom calls on,
// and YNNPACK's convolutions and matrix products off (oneDNN only takes
// what YNNPACK leaves).
var OneDNNFlags = []string{"--xla_cpu_experimental_onednn_custom_call=true",
	"--xla_cpu_experimental_ynn_fusion_type=-individual_convolution,-individual_dot"}

// cutOption removes option from a comma-separated list of engine options
// and reports whether it was there.
func cutOption(options, option string) (rest string, found bool) {
	var kept []string
	for _, o := range strings.Split(options, ",") {
		switch strings.TrimSpace(o) {
		case option:
			found = true
		case "":
		default:
			kept = append(kept, o)
		}
	}
	return strings.Join(kept, ","), found
}

var (
	muFlags     sync.Mutex
	loadedFlags *string // XLA_FLAGS when the CPU plugin was first loaded in this process.
)

// setCPUFlags sets XLA_FLAGS for the CPU plugin: RepeatableFlags, and
// OneDNNFlags with oneDNN. XLA reads the variable once, when the plugin
// first loads, so a process has one routing: asking for the other one
// afterwards is an error rather than a setting that silently does nothing.
func setCPUFlags(oneDNN bool) error {
	muFlags.Lock()
	defer muFlags.Unlock()
	flags := addFlags(os.Getenv(EnvXLAFlags), RepeatableFlags)
	if oneDNN {
		flags = addFlags(flags, OneDNNFlags)
	}
	if loadedFlags != nil && *loadedFlags != flags {
		return fmt.Errorf("this process loaded XLA's CPU plugin with XLA_FLAGS=%q and the engine now asks for %q: "+
			"XLA reads its flags once per process, so use one routing per process (set %s before the first engine is made)",
			*loadedFlags, flags, EnvConfig)
	}
	loadedFlags = &flags
	return os.Setenv(EnvXLAFlags, flags)
}

// routedToOneDNN reports whether this process loaded XLA's CPU plugin with
// OptionOneDNN's flags.
func routedToOneDNN() bool {
	muFlags.Lock()
	defer muFlags.Unlock()
	return loadedFlags != nil && strings.Contains(*loadedFlags, OneDNNFlags[0])
}

// addFlags adds to the XLA flags in flags each of extra that it does not set
// already, so that a flag set by the user wins.
func addFlags(flags string, extra []string) string {
	for _, flag := range extra {
		name, _, _ := strings.Cut(flag, "=")
		if !strings.Contains(flags, name+"=") {
			flags = strings.TrimSpace(flags + " " + flag)
		}
	}
	return flags
}

// FindPlugin returns the path of the PJRT plugin for platform ("cpu" or
// "cuda"): the first pjrt_c_api_<platform>_plugin.so in the folders of
// PJRT_PLUGIN_LIBRARY_PATH, then in .pjrt (and .pjrt/<platform>) of the
// working directory and each of its parents. The error is a
// *PluginNotFoundError.
func FindPlugin(platform string) (string, error) {
	fileName := "pjrt_c_api_" + platform + "_plugin.so"
	searched := SearchPath(platform)
	for _, dir := range searched {
		p := filepath.Join(dir, fileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			if abs, err := filepath.Abs(p); err == nil {
				return abs, nil
			}
			return p, nil
		}
	}
	return "", &PluginNotFoundError{Platform: platform, Searched: searched}
}

// SearchPath lists the folders FindPlugin searches for platform, in order.
func SearchPath(platform string) []string {
	var dirs []string
	for _, dir := range filepath.SplitList(os.Getenv(EnvPluginPath)) {
		if dir != "" {
			dirs = append(dirs, dir)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return dirs
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		dirs = append(dirs, filepath.Join(dir, PluginDir), filepath.Join(dir, PluginDir, platform))
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	return dirs
}

// HasNVIDIAGPU reports whether an NVIDIA device file is visible.
func HasNVIDIAGPU() bool {
	matches, _ := filepath.Glob("/dev/nvidia[0-9]*")
	return len(matches) > 0
}

// Label names the engine b in a short, stable form for reports: "xla:cpu"
// ("xla:cpu,onednn" with OptionOneDNN), "xla:cuda" or "go".
func Label(b compute.Backend) string {
	if xb, ok := b.(*xla.Backend); ok {
		switch {
		case xb.IsCUDA():
			return "xla:cuda"
		case xb.IsCPU() && routedToOneDNN():
			return "xla:cpu," + OptionOneDNN
		case xb.IsCPU():
			return "xla:cpu"
		default:
			return "xla:" + filepath.Base(xb.PluginName())
		}
	}
	if strings.HasPrefix(strings.ToLower(b.Name()), "go") {
		return "go"
	}
	return b.Name()
}
