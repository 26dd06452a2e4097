package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// idxImages returns an uncompressed IDX3 images file with the given header
// and n images whose pixel j of image i is byte(i+j).
func idxImages(count, rows, cols uint32, n int) []byte {
	var b bytes.Buffer
	for _, v := range []uint32{imagesMagic, count, rows, cols} {
		binary.Write(&b, binary.BigEndian, v)
	}
	for i := range n {
		for j := range int(rows * cols) {
			b.WriteByte(byte(i + j))
		}
	}
	return b.Bytes()
}

// idxLabels returns an uncompressed IDX1 labels file with the given count
// in its header and the given labels.
func idxLabels(count uint32, labels ...byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(labelsMagic))
	binary.Write(&b, binary.BigEndian, count)
	b.Write(labels)
	return b.Bytes()
}

// gz compresses data.
func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// writeFile writes data to dir/name.
func writeFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// smallDir returns a temporary folder holding a valid tiny MNIST-format
// data set: 3 training and 2 test examples.
func smallDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, TrainImagesFile, gz(idxImages(3, Rows, Cols, 3)))
	writeFile(t, dir, TrainLabelsFile, gz(idxLabels(3, 1, 2, 3)))
	writeFile(t, dir, TestImagesFile, gz(idxImages(2, Rows, Cols, 2)))
	writeFile(t, dir, TestLabelsFile, gz(idxLabels(2, 7, 9)))
	return dir
}

// goMNISTDir returns the GoMNIST data folder, failing the test when it is
// absent: go.mod requires the module, so it must be there.
func goMNISTDir(t testing.TB) string {
	t.Helper()
	dir, err := GoMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
