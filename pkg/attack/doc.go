// Package attack implements the article's white-box attack: targeted
// gradient ascent on the input pixels.
//
// The model's weights are fixed; the pixels are the variables. Each step
// takes the gradient g of the target class's probability with respect to the
// image, rescales it so that steps have a consistent size, adds it and clips
// the pixels back into [0, 1]:
//
//	x ← clip(x + ε · g / scale(g), 0, 1)
//
// and the loop repeats until the model's prediction is the target class, or
// a step limit is reached.
//
// The API follows Foolbox: an attack (TargetedAscent) runs on a model,
// inputs, a criterion (TargetedMisclassification) and optional L∞ budgets
// (epsilons), and returns the raw adversarials, their clipped versions (one
// set per budget) and whether each one succeeds. Many (image, target) pairs
// run as one batch in one compiled executable, each pair stopping on its own.
package attack
