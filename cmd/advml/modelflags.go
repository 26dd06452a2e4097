package main

import (
	"flag"
	"fmt"

	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/onnxmodel"
)

// modelFlags are the flags that name an ONNX model and how to read it, the
// same for advml eval and advml finetune.
type modelFlags struct {
	model, layout, mean, std, output string
}

// register defines -model (what says what the model is for), -layout,
// -mean, -std and -output on fs.
func (f *modelFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&f.model, "model", "", what+": an .onnx file (torch.onnx.export, tf2onnx)")
	fs.StringVar(&f.layout, "layout", "auto", "the model input's layout: auto, nchw (PyTorch) or nhwc (Keras)")
	fs.StringVar(&f.mean, "mean", "", "the normalisation the model was trained with, (x − mean) / std on [0, 1] pixels: one value, or one per channel, comma-separated (e.g. 0.1307)")
	fs.StringVar(&f.std, "std", "", "the standard deviation of that normalisation (e.g. 0.3081); a model trained on 0..255 pixels takes -std 0.00392157")
	fs.StringVar(&f.output, "output", "", "the graph tensor holding the logits (default: the output, or the input of a final Softmax)")
}

// options are onnxmodel.Load's options from the flags, each checked.
func (f modelFlags) options() (onnxmodel.Options, error) {
	opts := onnxmodel.Options{Output: f.output}
	var err error
	if opts.Layout, err = classifier.ParseLayout(f.layout); err != nil {
		return opts, fmt.Errorf("-layout: %w", err)
	}
	mean, err := floats("-mean", f.mean)
	if err != nil {
		return opts, err
	}
	std, err := floats("-std", f.std)
	if err != nil {
		return opts, err
	}
	for _, v := range mean {
		opts.Mean = append(opts.Mean, float32(v))
	}
	for _, v := range std {
		opts.Std = append(opts.Std, float32(v))
	}
	return opts, nil
}
