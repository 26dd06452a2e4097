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
// tighter than subtracting the bounds. The bounds cover every network of
// package cnn (cnn.Config.Ops lists its operations) and cost about two
// forward passes.
package certify
