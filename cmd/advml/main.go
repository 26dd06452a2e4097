// Command advml evaluates a classifier of your own, for people who do not
// write Go, and writes the project's networks as ONNX files:
//
//	advml eval -model net.onnx -images x.npy -labels y.npy -norm linf -eps 0.1,0.3 -attacks autoattack -out report/
//
// It loads the ONNX model (onnxmodel.Load: exported from PyTorch or
// Keras; -mean and -std give the normalisation it was trained with, so
// that images and budgets stay in [0, 1] pixels), reads the images and
// labels (.npy files, a folder of PNG files per class with -folder, or
// MNIST's test digits with -data mnist), runs the attacks (AutoAttack's
// standard version by default) at each budget with a progress bar, and
// prints the robust-accuracy table, then one JSON line. With -out it
// writes that line to summary.json and a self-contained report.html
// (package report) in the folder.
//
//	advml finetune -model net.onnx -mean 0.1307 -std 0.3081 -data mnist -eps 0.1 -epochs 3 -out robust.onnx
//
// fine-tunes an ONNX classifier against an adversary (PGD, TRADES or fast
// FGSM; package training on the model onnxmodel.Load gives) on MNIST's or
// Fashion-MNIST's training images, measures it before and after (clean and
// PGD-40 at the budget, on the first test images) and writes it back as
// ONNX (onnxmodel.Model.WriteONNX): the same graph with the new weights,
// for onnxruntime, PyTorch or TensorFlow.
//
//	advml export -checkpoint checkpoints/robust -out robust.onnx
//
// writes a network of package cnn (a checkpoint of the tutorial's, the
// robust or the certified model) as ONNX (onnxmodel.SaveCNN), for
// onnxruntime, PyTorch or TensorFlow.
//
// From the repository: go run ./cmd/advml eval …, or go build -o advml
// ./cmd/advml once. Run `advml eval -h` for every flag.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "eval":
		if err := evalCommand(os.Args[2:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "advml eval:", err)
			os.Exit(1)
		}
	case "finetune":
		if err := finetuneCommand(os.Args[2:], os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "advml finetune:", err)
			os.Exit(1)
		}
	case "export":
		if err := exportCommand(os.Args[2:], os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "advml export:", err)
			os.Exit(1)
		}
	case "-h", "-help", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "advml: unknown command %q: use advml eval, advml finetune or advml export (-h after any for its flags)\n", os.Args[1])
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `advml evaluates the adversarial robustness of a classifier of your own.

  advml eval -model net.onnx -images x.npy -labels y.npy -eps 0.1,0.3 -out report/
  advml finetune -model net.onnx -mean 0.1307 -std 0.3081 -data mnist -eps 0.1 -out robust.onnx
  advml export -checkpoint checkpoints/robust -out robust.onnx

Run advml eval -h, advml finetune -h or advml export -h for every flag.
`)
}
