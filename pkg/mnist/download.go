package mnist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Mirrors are the base URLs Download fetches the files from, tried in
// order; a file's URL is the base followed by its name. Tests may point it
// at a local server.
var Mirrors = []string{
	"https://storage.googleapis.com/cvdf-datasets/mnist/",
	"https://ossci-datasets.s3.amazonaws.com/mnist/",
}

// httpClient fetches the files; the timeout covers a whole file.
var httpClient = &http.Client{Timeout: 10 * time.Minute}

// maxDownload bounds the bytes read for one file (the largest is ~9.5 MiB).
const maxDownload = 64 << 20

// Download fetches into dir, which it creates if needed, those of the four
// MNIST files (TrainImagesFile, TrainLabelsFile, TestImagesFile,
// TestLabelsFile) that are not there yet; files already present are left
// alone and not checked (Load checks them). Each file is taken from
// the first of Mirrors that delivers it with its canonical sha256 sum, and
// written atomically: to a temporary file in dir, renamed into place only
// once complete and verified, so no partial or corrupt file is ever left
// behind. Errors are *FileError values of kind ErrDownload.
func Download(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mnist: cannot create download folder: %w", err)
	}
	for _, name := range allFiles {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return &FileError{File: path, Kind: ErrRead, Detail: err.Error(), Err: err}
		}
		if err := downloadFile(dir, name); err != nil {
			return err
		}
	}
	return nil
}

// downloadFile tries every mirror in turn for one file.
func downloadFile(dir, name string) error {
	var errs []error
	var details []string
	for _, base := range Mirrors {
		url := strings.TrimSuffix(base, "/") + "/" + name
		err := fetch(url, dir, name)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		details = append(details, err.Error())
	}
	if len(Mirrors) == 0 {
		details = append(details, "mnist.Mirrors is empty")
	}
	hint := "check the network connection, or copy the four files into the folder by hand"
	if err := errors.Join(errs...); errors.Is(err, ErrChecksum) {
		hint = "a mirror served a file that is not the canonical one; try again later, set mnist.Mirrors, or copy the four files into the folder by hand"
	}
	return &FileError{File: filepath.Join(dir, name), Kind: ErrDownload,
		Detail: strings.Join(details, "; "), Hint: hint, Err: errors.Join(errs...)}
}

// fetch downloads url into dir/name through a temporary file, keeping it
// only if its sha256 sum is the canonical one.
func fetch(url, dir, name string) (err error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP status %s", url, resp.Status)
	}

	tmp, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	if n > maxDownload {
		return fmt.Errorf("%s: more than %d bytes, not an MNIST file", url, maxDownload)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), checksums[name]; got != want {
		return fmt.Errorf("%s: %w: expected %s, got %s (%d bytes)", url, ErrChecksum, want, got, n)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
