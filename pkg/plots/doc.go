// Package plots draws generic figures: grayscale images (digits),
// signed heatmaps (perturbations, gradients), matrices, bar and line charts,
// and panel layouts. It knows nothing of the rest of the project: the
// figures of the experiment (adversarials, trajectories, training curves)
// are in package experiment, built from these.
//
// Everything is rendered locally in Go into an [image.Image]: nothing is
// loaded from the network (line charts use gonum.org/v1/plot, whose fonts are
// embedded). The same images can be shown inline in a GoNB notebook with
// [Show] or written to disk with [SavePNG].
//
// Inputs are plain Go values:
//   - an image is a flat, row-major []float32 of side×side values in [0, 1]
//     (see [Digit]), such as an MNIST digit's 28×28;
//   - a perturbation, gradient or Jacobian slice is a flat []float32 of
//     side×side values of any sign (see [Heatmap]);
//   - a curve is a [Series] of X/Y values (see [Lines] and [LineChart]).
//
// Panels are combined with [Row] and [Grid]:
//
//	digit, _ := plots.Digit(x, "prediction: 4; confidence: 0.32")
//	delta, _ := plots.Heatmap(perturbation, "adversarial − original")
//	_ = plots.Show(plots.Row(digit, delta))
package plots
