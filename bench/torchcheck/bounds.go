package main

import (
	"fmt"
	"math"
	"os"

	"github.com/advmlgo/advml/pkg/certify"
	"github.com/advmlgo/advml/pkg/mnist"
)

// tolerance is the relative agreement the bounds must meet (issue 18).
const tolerance = 1e-4

// Row is one model at one budget.
type Row struct {
	Model           string  `json:"model"`
	Epsilon         float64 `json:"epsilon"`
	MaxRelDiff      float64 `json:"max_rel_diff"` // Over lower, upper and margins.
	Certified       int     `json:"certified"`
	CertifiedLiRPA  int     `json:"certified_auto_lirpa"`
	SameCertified   bool    `json:"same_certified_images"`
	Agree           bool    `json:"agree"`
	PredictionsSame bool    `json:"predictions_same"`
}

// compare measures one model at one budget.
func compare(name string, eps float64, samePredictions bool, ours *certify.Bounds, lower, upper, margins []float64, labels []int) Row {
	r := Row{Model: name, Epsilon: eps, PredictionsSame: samePredictions, SameCertified: true}
	for i := range ours.N {
		certified := true
		for j := range mnist.NumClasses {
			k := i*mnist.NumClasses + j
			for _, pair := range [][2]float64{{float64(ours.Lower[i][j]), lower[k]}, {float64(ours.Upper[i][j]), upper[k]}, {float64(ours.Margins[i][j]), margins[k]}} {
				r.MaxRelDiff = math.Max(r.MaxRelDiff, math.Abs(pair[0]-pair[1])/math.Max(1, math.Abs(pair[1])))
			}
			if j != labels[i] && !(margins[k] > 0) {
				certified = false
			}
		}
		if ours.Certified[i] {
			r.Certified++
		}
		if certified {
			r.CertifiedLiRPA++
		}
		r.SameCertified = r.SameCertified && certified == ours.Certified[i]
	}
	r.Agree = samePredictions && r.SameCertified && r.MaxRelDiff <= tolerance
	return r
}

// printBounds prints the bounds' table and tells whether every row agrees.
func printBounds(rows []Row, versions map[string]string, n int) bool {
	fmt.Fprintf(os.Stderr, "IBP bounds on the first %d test images, against auto_LiRPA %s (torch %s):\n", n, versions["auto_LiRPA"], versions["torch"])
	fmt.Fprintf(os.Stderr, "%-8s %6s %14s %10s %16s %6s\n", "model", "ε", "max rel diff", "certified", "auto_LiRPA", "agree")
	all := true
	for _, r := range rows {
		fmt.Fprintf(os.Stderr, "%-8s %6g %14.2e %10d %16d %6v\n", r.Model, r.Epsilon, r.MaxRelDiff, r.Certified, r.CertifiedLiRPA, r.Agree)
		all = all && r.Agree
	}
	return all
}
