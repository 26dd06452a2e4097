package experiment

import (
	"math/rand/v2"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/mnist"
)

// RandomPairs draws n distinct images of split (n at most split.Len()) and,
// for each, a target class drawn uniformly among the 9 classes other than
// its label. The same seed gives the same pairs. It returns the images, flat
// (n×784), and the attack's criterion with the labels filled in.
func RandomPairs(split *mnist.Split, n int, seed int64) ([]float32, attack.TargetedMisclassification) {
	indices, targets := PairIndices(split, n, seed)
	sub := split.Subset(indices)
	return sub.Images, attack.TargetedMisclassification{Targets: targets, Labels: sub.Labels}
}

// PairIndices is RandomPairs' draw: the indices of the images in split and
// their targets.
func PairIndices(split *mnist.Split, n int, seed int64) (indices, targets []int) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	n = min(n, split.Len())
	indices = rng.Perm(split.Len())[:n]
	targets = make([]int, n)
	for i, idx := range indices {
		target := rng.IntN(mnist.NumClasses - 1)
		if target >= split.Labels[idx] {
			target++
		}
		targets[i] = target
	}
	return indices, targets
}

// RandomOfClass returns the index of an image of split drawn at random
// among those labelled class, or -1 if there is none. The same seed gives
// the same image.
func RandomOfClass(split *mnist.Split, class int, seed int64) int {
	var candidates []int
	for i, l := range split.Labels {
		if l == class {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return -1
	}
	return candidates[rand.New(rand.NewPCG(uint64(seed), uint64(class))).IntN(len(candidates))]
}
