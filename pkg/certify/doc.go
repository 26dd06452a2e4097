// Package certify proves robustness where package robustness can only fail
// to break it. An attack that finds no adversarial within ε gives an upper
// bound on robust accuracy (a stronger attack might); a certificate gives a
// lower bound: no perturbation within ε changes the class.
//
// IBP is interval bound propagation (Gowal et al. 2018): the L∞ ball around
// an image, clipped to [0, 1], is a box; each operation of the network maps
// a box into a box that holds its image (convolutions and dense layers
// through their weights and their absolute weights, ReLU and max-pool
// monotonically), so the last box bounds every logit that any image of the
// ball can produce. An image is certified when the lower bound of its
// label's logit minus every other logit is positive; the last dense layer
// is folded into those differences before they are bounded, which is
// tighter than subtracting the bounds. The bounds cover the networks of
// package cnn (cnn.New, cnn.Load: cnn.Config.Ops lists their operations)
// and any Bounder, a network that maps boxes through its own operations
// (onnxmodel.Model, for imported ONNX graphs of Conv, Gemm, MatMul,
// BatchNormalization, the pools, the activations and the operations that
// move values), and cost about two forward passes; any other network, a
// classifier.Model of one's own included, cannot be certified by them
// (IBP and CROWNIBP say so in one line), while Smoothing takes any.
// CROWNIBP tightens the margins of networks that end in dense, ReLU, dense
// by CROWN-IBP's backward bound over those layers.
//
// Smoothing is randomized smoothing (Cohen, Rosenfeld and Kolter 2019), for
// L2 and for any classifier.Predictor: the smoothed classifier returns the
// class the base classifier gives most often under Gaussian noise, and
// Certify bounds that class's probability from samples (Clopper-Pearson),
// which proves an L2 radius within which the smoothed class cannot change,
// with probability 1 − Alpha over the sampling; Predict classifies with a
// binomial test and may abstain. A base classifier trained on noise of the
// same σ (training.Options.Noise) certifies far more.
package certify
