package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/advmlgo/advml/pkg/backend"
	"github.com/advmlgo/advml/pkg/cnn"
	"github.com/advmlgo/advml/pkg/onnxmodel"
)

// exportCommand writes a checkpoint of package cnn as an ONNX file
// (onnxmodel.SaveCNN): advml export -checkpoint checkpoints/robust -out robust.onnx
func exportCommand(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("advml export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	checkpoint := fs.String("checkpoint", "", "a network of package cnn: checkpoints/cnn (the tutorial's), checkpoints/robust, checkpoints/certified, …")
	out := fs.String("out", "", "the .onnx file to write: input images [batch, rows, cols, channels] (NHWC) in [0, 1], output logits [batch, classes]")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q: every setting is a flag (advml export -h)", fs.Arg(0))
	case *checkpoint == "":
		return fmt.Errorf("-checkpoint is missing: give a checkpoint folder, e.g. checkpoints/robust")
	case *out == "":
		return fmt.Errorf("-out is missing: give the .onnx file to write")
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	m, err := cnn.Load(b, *checkpoint)
	if err != nil {
		return err
	}
	if err := onnxmodel.SaveCNN(m, *out); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %v, %v\n", *out, m.Config, m.Geometry())
	return nil
}
