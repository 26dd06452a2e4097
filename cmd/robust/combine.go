package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// combine reads the JSON line of each file (the last line that holds one),
// each a run of this command on its own part of the test images, checks
// that they measured the same models at the same budget on adjacent parts,
// and writes the JSON line of the whole: each accuracy counted back into
// images (exact for parts of fewer than 10,000 images, whose fractions
// carry four decimals) and divided by the images of all parts. Its cpu and
// backend list each one the parts ran on, in the order of the images.
func combine(paths []string, w io.Writer) error {
	var parts []Summary
	for _, path := range paths {
		s, err := readSummary(path)
		if err != nil {
			return err
		}
		if s.Data == "" { // Written before -data existed: MNIST.
			s.Data = "mnist"
		}
		parts = append(parts, s)
	}
	if len(parts) < 2 {
		return fmt.Errorf("-combine %s: give two or more files, comma-separated", strings.Join(paths, ","))
	}
	slices.SortFunc(parts, func(a, b Summary) int { return a.Robust.First - b.Robust.First })
	whole := parts[0]
	for k, p := range parts[1:] {
		prev := parts[k]
		switch {
		case p.Epsilon != whole.Epsilon:
			return fmt.Errorf("-combine: parts at ε %g and %g: combine runs at one budget", whole.Epsilon, p.Epsilon)
		case p.Data != whole.Data:
			return fmt.Errorf("-combine: parts on the data sets %q and %q: combine runs on one", whole.Data, p.Data)
		case !sameModel(p.Robust, whole.Robust) || !sameModel(p.ArticlePGD, whole.ArticlePGD) || !sameModel(p.Article, whole.Article):
			return fmt.Errorf("-combine: the part from image %d measured other models than the part from image %d (network, training, epochs or clean accuracy differ): combine runs on the same checkpoints",
				p.Robust.First, whole.Robust.First)
		case p.Robust.First != prev.Robust.First+prev.Robust.N:
			return fmt.Errorf("-combine: the part from image %d follows one that ends at image %d: the parts must be adjacent, without overlap",
				p.Robust.First, prev.Robust.First+prev.Robust.N-1)
		}
	}
	models := func(s *Summary) []*Model { return []*Model{&s.Robust, &s.ArticlePGD, &s.Article} }
	for k, m := range models(&whole) {
		if m.N == 0 {
			continue // Not evaluated (-robust-only).
		}
		evals := make([]Evaluation, len(parts))
		for i := range parts {
			evals[i] = models(&parts[i])[k].Evaluation
		}
		m.Evaluation = combineEvaluations(evals)
	}
	whole.NImages, whole.CleanAccuracy = whole.Robust.N, whole.Robust.CleanAccuracy
	whole.CPU = distinct(parts, func(s Summary) string { return s.CPU })
	whole.Backend = distinct(parts, func(s Summary) string { return s.Backend })
	whole.AutoAttack, whole.AutoAttackAft, whole.Certified = whole.Robust.AutoAttack, whole.Robust.After, whole.Robust.Certified
	line, err := json.Marshal(whole)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

// readSummary parses the last JSON line of path.
func readSummary(path string) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("-combine: %w", err)
	}
	defer f.Close()
	var last string
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 1<<20), 1<<24)
	for scanner.Scan() {
		if line := strings.TrimSpace(scanner.Text()); strings.HasPrefix(line, "{") {
			last = line
		}
	}
	if err := scanner.Err(); err != nil {
		return Summary{}, fmt.Errorf("-combine: %s: %w", path, err)
	}
	var s Summary
	if last == "" {
		return s, fmt.Errorf("-combine: %s holds no JSON line: give the standard output of a finished run", path)
	}
	if err := json.Unmarshal([]byte(last), &s); err != nil {
		return s, fmt.Errorf("-combine: %s: %w", path, err)
	}
	if s.Robust.N < 1 {
		return s, fmt.Errorf("-combine: %s attacked no images: give the standard output of a finished run", path)
	}
	return s, nil
}

// distinct joins the different non-empty values of field over the parts,
// in order, with "; ": a part run on another machine is not hidden behind
// the first part's.
func distinct(parts []Summary, field func(Summary) string) string {
	var seen []string
	for _, p := range parts {
		if v := field(p); v != "" && !slices.Contains(seen, v) {
			seen = append(seen, v)
		}
	}
	return strings.Join(seen, "; ")
}

func sameModel(a, b Model) bool {
	return a.Network == b.Network && a.Training == b.Training && a.Epochs == b.Epochs && a.WeightsEpoch == b.WeightsEpoch &&
		a.CleanAccuracy == b.CleanAccuracy
}

// combineEvaluations merges the evaluations of adjacent parts.
func combineEvaluations(parts []Evaluation) Evaluation {
	out := Evaluation{CleanAccuracy: parts[0].CleanAccuracy, First: parts[0].First, SanityPassed: true}
	for _, p := range parts {
		out.N += p.N
	}
	// mean weighs each part's fraction by its images, counted back to whole images.
	mean := func(field func(Evaluation) float64) float64 {
		images := 0.0
		for _, p := range parts {
			images += math.Round(field(p) * float64(p.N))
		}
		return round(images / float64(out.N))
	}
	out.CleanOnN = mean(func(e Evaluation) float64 { return e.CleanOnN })
	out.PGD = mean(func(e Evaluation) float64 { return e.PGD })
	out.AutoAttack = mean(func(e Evaluation) float64 { return e.AutoAttack })
	out.Certified = mean(func(e Evaluation) float64 { return e.Certified })
	out.RobustAccuracy = mean(func(e Evaluation) float64 { return e.RobustAccuracy })
	out.After = map[string]float64{}
	for name := range parts[0].After {
		out.After[name] = mean(func(e Evaluation) float64 { return e.After[name] })
	}
	for _, p := range parts {
		out.SanityPassed = out.SanityPassed && p.SanityPassed
		out.FailedChecks = append(out.FailedChecks, p.FailedChecks...)
		out.Seconds += p.Seconds
	}
	out.Seconds = round(out.Seconds)
	return out
}
