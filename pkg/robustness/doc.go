// Package robustness evaluates a classifier the way the adversarial-ML
// field does.
//
// Evaluate measures robust accuracy against budgets ε, under one attack or
// an ensemble: at each budget the attacks run in turn on the images that
// resisted those before, and an image counts as robust only if the model
// classifies it right and no attack fools it (AutoAttack's worst case per
// image). The Report has the clean accuracy beside it, how much each attack
// added, a per-class breakdown, and sanity checks run with every
// evaluation, as AutoAttack runs them: adversarials in [0, 1] and within
// budget, attack verdicts agreeing with a fresh prediction, a deterministic
// model, gradients that do not vanish, and losses taken on logits rather
// than probabilities.
//
// MinimalPerturbations sums up the minimal perturbations that minimal
// attacks find (median and quartiles per attack, in one norm). Curve,
// CompareCurves and Gallery draw the results.
package robustness
