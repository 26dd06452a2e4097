package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// part returns the summary of a run on n images from first, with the given
// numbers of images robust under AutoAttack and PGD.
func part(first, n, autoattack, pgd int) Summary {
	e := Evaluation{CleanAccuracy: 0.9843, N: n, First: first, CleanOnN: 1, PGD: round(float64(pgd) / float64(n)),
		AutoAttack: round(float64(autoattack) / float64(n)), RobustAccuracy: round(float64(autoattack) / float64(n)),
		After:        map[string]float64{"apgd_ce": round(float64(pgd) / float64(n)), "square": round(float64(autoattack) / float64(n))},
		SanityPassed: true, Seconds: 100}
	m := Model{Network: "cnn.Robust", Training: "PGD", Epochs: 15, WeightsEpoch: 10, Evaluation: e}
	article := Model{Network: "cnn.Default", Training: "clean", Epochs: 8, WeightsEpoch: 8, Evaluation: Evaluation{CleanAccuracy: 0.98, N: n, First: first}}
	return Summary{Epsilon: 0.3, NImages: n, Robust: m, ArticlePGD: article, Article: article}
}

// write stores each summary as a run's output (a log line, then the JSON line).
func write(t *testing.T, parts ...Summary) []string {
	t.Helper()
	var paths []string
	for _, p := range parts {
		line, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "part.json")
		if err := os.WriteFile(path, []byte("robust: a log line\n"+string(line)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

func TestCombineAddsTheParts(t *testing.T) {
	// 2,500 + 2,500 + 5,000 images; listed out of order.
	paths := write(t, part(5000, 5000, 4391, 4577), part(0, 2500, 2197, 2290), part(2500, 2500, 2188, 2285))
	var out bytes.Buffer
	if err := combine(paths, &out); err != nil {
		t.Fatal(err)
	}
	var whole Summary
	if err := json.Unmarshal(out.Bytes(), &whole); err != nil {
		t.Fatal(err)
	}
	want := float64(4391+2197+2188) / 10000
	if whole.NImages != 10000 || whole.Robust.First != 0 || whole.AutoAttack != want || whole.Robust.AutoAttack != want {
		t.Errorf("combined: %d images from %d, AutoAttack %g (top level %g); want 10000 from 0, %g",
			whole.NImages, whole.Robust.First, whole.Robust.AutoAttack, whole.AutoAttack, want)
	}
	if got, want := whole.Robust.PGD, float64(4577+2290+2285)/10000; got != want {
		t.Errorf("combined PGD %g, want %g", got, want)
	}
	if whole.AutoAttackAft["square"] != want || whole.Robust.Seconds != 300 || !whole.Robust.SanityPassed {
		t.Errorf("combined after-Square %g, seconds %g, sanity %v", whole.AutoAttackAft["square"], whole.Robust.Seconds, whole.Robust.SanityPassed)
	}
}

// TestCombineNamesEveryMachine: parts run on two CPUs combine into a line
// that names both, in the order of the images, each once.
func TestCombineNamesEveryMachine(t *testing.T) {
	parts := []Summary{part(0, 1000, 774, 793), part(1000, 1500, 1151, 1189), part(2500, 1500, 1117, 1151)}
	parts[0].CPU, parts[1].CPU, parts[2].CPU = "AMD EPYC, 2 cores", "Intel Xeon, 2 cores", "AMD EPYC, 2 cores"
	for i := range parts {
		parts[i].Backend = "xla:cpu,onednn"
	}
	var out bytes.Buffer
	if err := combine(write(t, parts[2], parts[1], parts[0]), &out); err != nil {
		t.Fatal(err)
	}
	var whole Summary
	if err := json.Unmarshal(out.Bytes(), &whole); err != nil {
		t.Fatal(err)
	}
	if want := "AMD EPYC, 2 cores; Intel Xeon, 2 cores"; whole.CPU != want {
		t.Errorf("combined cpu %q, want %q", whole.CPU, want)
	}
	if want := "xla:cpu,onednn"; whole.Backend != want {
		t.Errorf("combined backend %q, want %q", whole.Backend, want)
	}
}

func TestCombineRefusesPartsThatDoNotFit(t *testing.T) {
	otherEps := part(2500, 2500, 2000, 2100)
	otherEps.Epsilon = 0.1
	otherModel := part(2500, 2500, 2000, 2100)
	otherModel.Robust.WeightsEpoch = 12
	for _, tc := range []struct {
		name  string
		parts []Summary
		want  string
	}{
		{"overlap", []Summary{part(0, 2500, 2000, 2100), part(2000, 2500, 2000, 2100)}, "adjacent"},
		{"gap", []Summary{part(0, 2500, 2000, 2100), part(3000, 2500, 2000, 2100)}, "adjacent"},
		{"other budget", []Summary{part(0, 2500, 2000, 2100), otherEps}, "ε"},
		{"other model", []Summary{part(0, 2500, 2000, 2100), otherModel}, "other models"},
		{"one part", []Summary{part(0, 2500, 2000, 2100)}, "two or more"},
	} {
		err := combine(write(t, tc.parts...), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", tc.name, err, tc.want)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte("robust: killed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths := append(write(t, part(0, 2500, 2000, 2100)), empty)
	if err := combine(paths, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "no JSON line") {
		t.Errorf("a part without its JSON line: %v", err)
	}
	if err := combine([]string{"/nonexistent/part.json", "/nonexistent/other.json"}, &bytes.Buffer{}); err == nil {
		t.Error("missing files: no error")
	}
}

func TestBadImageRange(t *testing.T) {
	for _, f := range []flags{{epsilon: 0.3, mode: "pgd", n: 1000, from: -1}, {epsilon: 0.3, mode: "pgd", n: 1000, from: 9500}} {
		if err := f.validate(); err == nil || !strings.Contains(err.Error(), "-from") {
			t.Errorf("-from %d -n %d: error %v, want one naming -from", f.from, f.n, err)
		}
	}
}

func TestCombineRobustOnlyParts(t *testing.T) {
	a, b := part(0, 5000, 4100, 4200), part(5000, 5000, 4000, 4150)
	a.ArticlePGD, a.Article, b.ArticlePGD, b.Article = Model{}, Model{}, Model{}, Model{}
	var out bytes.Buffer
	if err := combine(write(t, a, b), &out); err != nil {
		t.Fatal(err)
	}
	var whole Summary
	if err := json.Unmarshal(out.Bytes(), &whole); err != nil {
		t.Fatal(err)
	}
	if whole.NImages != 10000 || whole.AutoAttack != 0.81 || whole.ArticlePGD.N != 0 {
		t.Errorf("combined robust-only parts: %d images, AutoAttack %g, article N %d; want 10000, 0.81, 0", whole.NImages, whole.AutoAttack, whole.ArticlePGD.N)
	}
}
