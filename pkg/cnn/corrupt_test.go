package cnn_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/cnn"
)

// TestLoadDamagedCheckpoint: a checkpoint whose files were truncated or
// garbled gives a one-line error naming the folder, never a panic.
func TestLoadDamagedCheckpoint(t *testing.T) {
	b := testutil.XLA(t)
	m, err := cnn.New(b, cnn.Default, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*"))
	if len(files) < 2 {
		t.Fatalf("checkpoint files: %v", files)
	}
	for _, f := range files {
		for _, damage := range []string{"truncated", "garbled"} {
			t.Run(filepath.Base(f)+"/"+damage, func(t *testing.T) {
				copyDir := filepath.Join(t.TempDir(), "model")
				if err := os.CopyFS(copyDir, os.DirFS(dir)); err != nil {
					t.Fatal(err)
				}
				target := filepath.Join(copyDir, filepath.Base(f))
				data, err := os.ReadFile(target)
				if err != nil {
					t.Fatal(err)
				}
				if damage == "truncated" {
					data = data[:len(data)/2]
				} else {
					for i := range data {
						data[i] ^= 0x5a
					}
				}
				if err := os.WriteFile(target, data, 0o644); err != nil {
					t.Fatal(err)
				}
				var loadErr error
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Fatalf("cnn.Load panicked on a %s %s: %v", damage, filepath.Base(f), r)
						}
					}()
					_, loadErr = cnn.Load(b, copyDir)
				}()
				if loadErr == nil || !strings.Contains(loadErr.Error(), copyDir) || strings.Contains(loadErr.Error(), "\n") {
					t.Errorf("a %s %s: error %v, want one line naming %s", damage, filepath.Base(f), loadErr, copyDir)
				}
			})
		}
	}
}
