package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportedNormalisation reads the shipped model's mean and standard
// deviation, and names the file when its JSON does not give one of each per
// channel.
func TestImportedNormalisation(t *testing.T) {
	mean, std, err := ImportedNormalisation("..")
	if err != nil || len(mean) != 1 || len(std) != 1 || !(std[0] > 0) {
		t.Fatalf("the shipped model's normalisation: mean %v std %v, %v", mean, std, err)
	}
	for _, recipe := range []string{`{"mean": [0.5], "std": []}`, `{"mean": [0.1`, `{}`} {
		root := t.TempDir()
		path := filepath.Join(root, strings.TrimSuffix(ImportedModel, ".onnx")+".json")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(recipe), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ImportedNormalisation(root); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s", recipe, err, path)
		}
	}
}
