// Package backend chooses the engine that runs every GoMLX graph of the
// project: XLA through a PJRT plugin, on the CPU by default and on an NVIDIA
// GPU when asked for.
//
// The choice follows GoMLX's own switch, the GOMLX_BACKEND environment
// variable:
//
//	(unset), "xla", "xla:cpu"  XLA on the CPU (the default)
//	"xla:cpu,onednn"           XLA on the CPU with oneDNN's convolutions and
//	                           matrix products: faster training, repeatable
//	                           on one machine only (OptionOneDNN)
//	"xla:cuda"                 XLA on an NVIDIA GPU
//	"xla:/abs/path/plugin.so"  XLA with an explicit PJRT plugin file
//	"go"                       GoMLX's pure-Go engine: slow (about a minute
//	                           an MNIST epoch on two cores), opt-in only
//
// The XLA plugins come from PyPI wheels that `make plugin` installs into the
// project's venv and links into the .pjrt folder at the project's root
// (.pjrt/pjrt_c_api_cpu_plugin.so, and .pjrt/cuda/pjrt_c_api_cuda_plugin.so
// for `make plugin PJRT=cuda12`). New looks for them in the folders of
// PJRT_PLUGIN_LIBRARY_PATH, then in .pjrt of the working directory and of
// each of its parents. When none is found it returns an error that says how
// to install one and how to opt in to the pure-Go engine: nothing ever falls
// back silently.
package backend
