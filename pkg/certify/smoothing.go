package certify

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Abstain is the class that randomized smoothing returns for an image it
// cannot decide with the confidence asked.
const Abstain = -1

// Smoothing certifies L2 robustness by randomized smoothing (Cohen,
// Rosenfeld and Kolter 2019) for any classifier: the smoothed classifier g
// predicts, for an image x, the class that the base classifier returns most
// often on x + δ with δ ~ N(0, Sigma²·I). Certify bounds the probability of
// that class from below, pA, from samples, and g then provably keeps its
// class within the L2 radius Sigma·Φ⁻¹(pA) of x, with probability at least
// 1 − Alpha over the sampling.
//
// The base classifier sees each noisy image clipped to [0, 1] (the pixels
// this project's classifiers take). Clipping is part of the base
// classifier, so the guarantee is unchanged.
//
// A zero field means its default, as for the attacks' settings: the zero
// Smoothing is NewSmoothing(0.25) with Seed 0.
type Smoothing struct {
	Sigma float64 // The noise's standard deviation, positive (0: 0.25).
	N0    int     // Samples that choose the class to certify, at least 1 (0: 100).
	N     int     // Samples that estimate its probability, at least 1 (0: 10,000).
	// Alpha is the probability that a certificate (or a prediction) is
	// wrong because of the sampling; in (0, 1) (0: 0.001).
	Alpha float64
	Seed  int64 // Of the noise: one seed repeats a run.
}

// WithDefaults returns the settings as they run: a copy with every zero
// replaced by its documented default.
func (s Smoothing) WithDefaults() Smoothing {
	if s.Sigma == 0 {
		s.Sigma = 0.25
	}
	if s.N0 == 0 {
		s.N0 = 100
	}
	if s.N == 0 {
		s.N = 10000
	}
	if s.Alpha == 0 {
		s.Alpha = 0.001
	}
	return s
}

// NewSmoothing returns smoothing at noise level sigma with N0 = 100 and
// Alpha = 0.001, as Cohen et al. certify, and N = 10,000 samples (they take
// 100,000, which bounds pA tighter and costs ten times as much): with all
// 10,000 samples in one class, pA ≥ 0.99931 and the radius is 3.2σ.
func NewSmoothing(sigma float64) Smoothing {
	return Smoothing{Sigma: sigma, N0: 100, N: 10000, Alpha: 0.001, Seed: 1}
}

// settings checks s with its defaults filled in, and returns them.
func (s Smoothing) settings() (Smoothing, error) {
	s = s.WithDefaults()
	return s, s.validate()
}

func (s Smoothing) validate() error {
	const hint = " (certify.NewSmoothing(σ) holds usual settings)"
	switch {
	case !(s.Sigma > 0) || math.IsInf(s.Sigma, 1):
		return fmt.Errorf("certify: smoothing's σ is %g: use a positive noise level, such as 0.25 or 0.5 (0 for the default 0.25)%s", s.Sigma, hint)
	case s.N0 < 1:
		return fmt.Errorf("certify: smoothing's N0 is %d: draw at least 1 sample to choose the class (0 for the default 100)%s", s.N0, hint)
	case s.N < 1:
		return fmt.Errorf("certify: smoothing's N is %d: draw at least 1 sample to bound the class's probability (0 for the default 10,000)%s", s.N, hint)
	case !(s.Alpha > 0 && s.Alpha < 1):
		return fmt.Errorf("certify: smoothing's α is %g: use a probability in (0, 1) (0 for the default 0.001)%s", s.Alpha, hint)
	}
	return nil
}

// Smoothed is what Certify found for each image.
type Smoothed struct {
	Sigma float64
	// Classes[i] is the smoothed classifier's class for image i, or Abstain.
	Classes []int
	// PLower[i] is the lower confidence bound of that class's probability
	// under the noise (Clopper-Pearson, level 1 − Alpha).
	PLower []float64
	// Radii[i] is the certified L2 radius, Sigma·Φ⁻¹(PLower[i]); 0 where
	// the image abstains.
	Radii []float64
	// Correct[i] tells whether Classes[i] is image i's label.
	Correct []bool
}

// CertifiedAccuracy is the share of the images whose smoothed class is
// their label with a certified radius of at least r (r = 0: the smoothed
// classifier's accuracy, abstentions counted wrong).
func (s *Smoothed) CertifiedAccuracy(r float64) float64 {
	k := 0
	for i, ok := range s.Correct {
		if ok && s.Radii[i] >= r {
			k++
		}
	}
	return float64(k) / float64(max(len(s.Correct), 1))
}

// Certify runs Cohen et al.'s CERTIFY on each image (flat, in [0, 1]) with
// its label: N0 noisy samples choose the class cA the base classifier p
// returns most often, N fresh samples count how often it returns cA, and
// the image abstains unless the Clopper-Pearson lower bound of that
// frequency exceeds 1/2.
func (s Smoothing) Certify(p classifier.Predictor, images []float32, labels []int) (*Smoothed, error) {
	s, err := s.settings()
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("certify: the classifier is nil: load or train one")
	}
	g := p.Geometry()
	n, err := g.CheckLabeled(images, labels)
	if err != nil {
		return nil, fmt.Errorf("certify: %w", err)
	}
	out := &Smoothed{Sigma: s.Sigma, Classes: make([]int, n), PLower: make([]float64, n), Radii: make([]float64, n), Correct: make([]bool, n)}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), 0x5eed))
	for i := range n {
		image := images[i*g.Pixels() : (i+1)*g.Pixels()]
		guess, err := s.counts(p, image, s.N0, rng)
		if err != nil {
			return nil, err
		}
		cA := classifier.Argmax(guess)
		counts, err := s.counts(p, image, s.N, rng)
		if err != nil {
			return nil, err
		}
		pA := clopperPearsonLower(counts[cA], s.N, s.Alpha)
		out.PLower[i], out.Classes[i] = pA, Abstain
		if pA > 0.5 {
			out.Classes[i] = cA
			out.Radii[i] = s.Sigma * distuv.UnitNormal.Quantile(pA)
		}
		out.Correct[i] = out.Classes[i] == labels[i]
	}
	return out, nil
}

// Predict runs Cohen et al.'s PREDICT on each image (flat, in [0, 1]): N
// noisy samples, and the most frequent class unless a two-sided binomial
// test cannot tell it from the runner-up at level Alpha (then Abstain).
func (s Smoothing) Predict(p classifier.Predictor, images []float32) ([]int, error) {
	s, err := s.settings()
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("certify: the classifier is nil: load or train one")
	}
	g := p.Geometry()
	n, err := g.CheckImages(images)
	if err != nil {
		return nil, fmt.Errorf("certify: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), 0x5eed))
	classes := make([]int, n)
	for i := range n {
		counts, err := s.counts(p, images[i*g.Pixels():(i+1)*g.Pixels()], s.N, rng)
		if err != nil {
			return nil, err
		}
		first := classifier.Argmax(counts)
		nA := counts[first]
		counts[first] = -1
		nB := counts[classifier.Argmax(counts)] // The runner-up's count.
		classes[i] = Abstain
		if binomialTwoSided(nA, nA+nB) <= s.Alpha {
			classes[i] = first
		}
	}
	return classes, nil
}

// counts classifies samples noisy copies of image, clipped to [0, 1], in
// batches, and counts the classes.
func (s Smoothing) counts(p classifier.Predictor, image []float32, samples int, rng *rand.Rand) ([]int, error) {
	counts := make([]int, p.Geometry().Classes)
	pixels := len(image)
	batch := make([]float32, min(samples, classifier.BatchSize)*pixels)
	for done := 0; done < samples; {
		k := min(samples-done, classifier.BatchSize)
		noisy := batch[:k*pixels]
		for j := range noisy {
			v := float64(image[j%pixels]) + s.Sigma*rng.NormFloat64()
			noisy[j] = float32(min(max(v, 0), 1))
		}
		classes, _, err := classifier.Classify(p, noisy)
		if err != nil {
			return nil, fmt.Errorf("certify: classifying noisy samples: %w", err)
		}
		for _, c := range classes {
			counts[c]++
		}
		done += k
	}
	return counts, nil
}

// clopperPearsonLower is the one-sided lower confidence bound at level
// 1 − alpha of a binomial proportion with k successes in n trials: the
// alpha quantile of Beta(k, n − k + 1), 0 when k is 0.
func clopperPearsonLower(k, n int, alpha float64) float64 {
	if k == 0 {
		return 0
	}
	return distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(alpha)
}

// binomialTwoSided is the two-sided p-value of k successes in n trials
// against a fair coin: twice the smaller tail, at most 1.
func binomialTwoSided(k, n int) float64 {
	if n == 0 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	tail := b.CDF(float64(min(k, n-k)))
	return math.Min(1, 2*tail)
}
