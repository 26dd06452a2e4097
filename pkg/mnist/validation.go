package mnist

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// seedStream is the fixed second word of the PCG state; only Seed varies.
const seedStream = 0x6d6e697374 // "mnist"

// ValidationIndices returns which of n training examples go to a
// validation set of the given size with the given seed, sorted: the first
// size entries of a permutation of 0..n-1 drawn from math/rand/v2's PCG
// seeded with seed. Load uses it; it is exported so the choice can be
// reproduced or inspected. It panics unless 0 <= size <= n.
func ValidationIndices(n, size int, seed int64) []int {
	perm := rand.New(rand.NewPCG(uint64(seed), seedStream)).Perm(n)
	picked := perm[:size]
	slices.Sort(picked)
	return picked
}

// splitValidation moves size examples of all (DefaultValidationSize when
// zero, none when negative) into a validation split; all is reused for
// the training split.
func splitValidation(all *Split, size int, seed int64) (train, validation *Split, err error) {
	switch {
	case size == 0:
		size = DefaultValidationSize
	case size < 0:
		return all, &Split{Images: []float32{}, Labels: []int{}}, nil
	}
	n := all.Len()
	if size > n {
		return nil, nil, fmt.Errorf("mnist: Options.ValidationSize %d is larger than the %d training examples", size, n)
	}
	valIdx := ValidationIndices(n, size, seed)
	validation = all.Subset(valIdx)
	// Compact the remaining examples to the front of all, in order; the
	// destination never runs ahead of the source.
	inVal := make([]bool, n)
	for _, i := range valIdx {
		inVal[i] = true
	}
	j := 0
	for i := range n {
		if inVal[i] {
			continue
		}
		if i != j {
			copy(all.Images[j*Pixels:(j+1)*Pixels], all.Images[i*Pixels:(i+1)*Pixels])
			all.Labels[j] = all.Labels[i]
		}
		j++
	}
	train = &Split{Images: all.Images[: j*Pixels : j*Pixels], Labels: all.Labels[:j:j]}
	return train, validation, nil
}
