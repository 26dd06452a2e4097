// Package attack holds adversarial attacks on any image classifier of
// package classifier, shaped as Foolbox shapes them: an attack is a plain
// value holding its settings; Run takes the model, the images, a criterion
// (Misclassification or TargetedMisclassification) and budgets ε, and
// returns a Result with, per budget, the raw adversarials, their versions
// clipped into the budget, and whether each one succeeds, judged by a fresh
// forward pass of the model.
//
// Fixed-budget attacks (FixedEpsilon) stay within ε in their norm and run
// once per budget:
//
//	FGM / NewFGSM   one step along the normalised gradient (Goodfellow et al.)
//	BIM             small projected steps from the image (Kurakin et al.)
//	PGD             projected steps from a random start, with restarts (Madry et al.)
//	MIFGSM          sign steps on a momentum of normalised gradients (Dong et al.)
//	APGD            PGD with momentum and a step-size schedule, on the cross-entropy or the
//	                DLR loss, targeted or not: AutoAttack's core (Croce and Hein)
//
// Minimal attacks search, without a budget, for each image's closest
// adversarial, and Run clips it to each budget given:
//
//	DeepFool         the nearest linearised boundary, step by step (Moosavi-Dezfooli et al.)
//	CarliniWagner    Adam in tanh space with a binary search over its constant (L2)
//	JSMA             the most salient pairs of pixels (L0, Papernot et al.)
//	MinimalEpsilon   a binary search over ε of any fixed-budget attack
//	TargetedAscent   the article's attack: ascend the target's probability until it wins
//
// Black-box attacks take any classifier.Predictor and ask it only for
// predictions, never for a gradient; each has a query budget per image,
// counts every query (Result.Queries) and repeats exactly with its Seed:
//
//	Square         random square updates at the budget's edge, kept when the margin falls (L∞, L2; Andriushchenko et al.)
//	SimBA          steps along random pixel or low-frequency cosine directions (Guo et al.)
//	HopSkipJump    top-class answers only: boundary search, normal estimate, step (L2, L∞; Chen et al.)
//
// The first is a fixed-budget attack; SimBA and HopSkipJump are minimal.
// Many images share each call of the model, and each stops on its own.
//
// Distances (L0, L1, L2, Linf) measure perturbations and clip them into a
// budget.
//
// Every attack runs all its images as one batch, in one compiled executable
// per batch size, and each image stops on its own where the attack allows
// (iterative attacks stop an image at its first adversarial iterate, unless
// told to take every step). The executables are cached per model and per
// setting that shapes the graph, so a field changed between two runs takes
// effect; the other settings are inputs of the graph.
//
// Gradient attacks need a classifier.Differentiable; given a model that only
// predicts, they say so. Black-box ones never look for one.
package attack
