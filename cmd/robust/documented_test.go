package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEFiguresCombineFromTheirParts combines each committed family of
// AutoAttack parts in docs/results, as docs/defence.md tells a reader to,
// and checks that the whole covers the 10,000 test images with every sanity
// check passed, and that the README states its clean and AutoAttack figures.
// A README figure that no committed part supports fails here. It reads the
// committed results and does not run the evaluation again (hours a model):
// the commands in docs/defence.md remake each part.
func TestREADMEFiguresCombineFromTheirParts(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range []string{"smallcnn-trades-autoattack", "robust-autoattack", "lenetsmall-trades-swa-fashion-autoattack", "lenetsmall-wide-trades-swa-fashion-autoattack"} {
		t.Run(family, func(t *testing.T) {
			paths, err := filepath.Glob("../../docs/results/" + family + "-*.json")
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := combine(paths, &buf); err != nil {
				t.Fatal(err)
			}
			var whole Summary
			if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &whole); err != nil {
				t.Fatalf("%v in %q", err, buf.String())
			}
			r := whole.Robust
			if r.First != 0 || r.N != 10000 || !r.SanityPassed {
				t.Fatalf("%d parts cover images %d to %d, sanity passed %v: want all 10,000 and passed", len(paths), r.First, r.First+r.N-1, r.SanityPassed)
			}
			for name, v := range map[string]float64{"AutoAttack": r.AutoAttack, "clean": r.CleanOnN} {
				figure := fmt.Sprintf("%.2f%%", 100*v)
				if !strings.Contains(string(readme), figure) {
					t.Errorf("the README does not state the %s figure %s of %s on all 10,000 images", name, figure, family)
				}
			}
		})
	}
}
