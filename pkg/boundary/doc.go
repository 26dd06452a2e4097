// Package boundary shows where a classifier draws the edges between its
// classes, the question behind the article's Pop-Tart and ravioli.
//
// Build makes the boundary map: for every (source, target) pair of classes,
// the smallest perturbation a targeted minimal attack needs to push test
// digits of the source into the target, summed up as a 10×10 heatmap of
// medians, a grid of example adversarials, the easiest and hardest pairs,
// and Carlini and Wagner's Table IV form (best, average and worst case over
// each digit's targets).
//
// A Walk follows a path through input space: the straight line between two
// digits (Line), or the path the article's attack takes towards a target
// (AttackPath), with the class probabilities along it and the images on
// either side of the point where the prediction flips.
package boundary
