package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// readFile reads dir/name whole and, when sums is not nil, checks its
// sha256 sum against the canonical one there.
func readFile(dir, name string, sums map[string]string) ([]byte, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &FileError{File: path, Kind: ErrMissing, Err: err,
			Detail: "no such file",
			Hint:   "set Options.Download to fetch it, or call mnist.Download on the folder"}
	}
	if err != nil {
		return nil, &FileError{File: path, Kind: ErrRead, Detail: err.Error(), Err: err}
	}
	if sums != nil {
		if err := checkSumIn(sums, data, name, path); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// checkSum compares the sha256 sum of data with the canonical sum of the
// file called name; path names it in the error.
func checkSum(data []byte, name, path string) error { return checkSumIn(checksums, data, name, path) }

// checkSumIn is checkSum against the sums of one data set.
func checkSumIn(sums map[string]string, data []byte, name, path string) error {
	want, ok := sums[name]
	if !ok {
		return fmt.Errorf("mnist: %s: no canonical checksum for file name %q", path, name)
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if got == want {
		return nil
	}
	return &FileError{File: path, Kind: ErrChecksum,
		Detail: fmt.Sprintf("expected %s, got %s (%d bytes)", want, got, len(data)),
		Hint:   "the file is corrupt, incomplete or not the canonical MNIST file; " + hintRedownload + ", or set Options.NoVerify for an MNIST-format data set of your own"}
}

// loadSplit reads the images and labels files of one split from dir.
func loadSplit(dir, imagesName, labelsName string, sums map[string]string) (*Split, error) {
	imgData, err := readFile(dir, imagesName, sums)
	if err != nil {
		return nil, err
	}
	lblData, err := readFile(dir, labelsName, sums)
	if err != nil {
		return nil, err
	}
	imagesPath := filepath.Join(dir, imagesName)
	images, err := ReadImages(bytes.NewReader(imgData), imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := ReadLabels(bytes.NewReader(lblData), filepath.Join(dir, labelsName))
	if err != nil {
		return nil, err
	}
	if n := len(images) / Pixels; n != len(labels) {
		return nil, &FileError{File: imagesPath, Kind: ErrCountMismatch,
			Detail: fmt.Sprintf("it holds %d images but %s holds %d labels", n, labelsName, len(labels)),
			Hint:   "the two files come from different data sets or one is damaged; download both again"}
	}
	return &Split{Images: images, Labels: labels}, nil
}
