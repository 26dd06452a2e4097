package mnist

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadBadInput crafts one broken file per case in a valid tiny data set
// and checks that Load reports it in one line that names the file, the kind
// of problem and the detail.
func TestLoadBadInput(t *testing.T) {
	validTrainImages := gz(idxImages(3, Rows, Cols, 3))
	tests := []struct {
		name   string
		file   string
		data   []byte // nil: delete the file
		verify bool
		kind   error
		want   []string // substrings of the message
	}{
		{"missing file", TestLabelsFile, nil, false, ErrMissing,
			[]string{"file missing", "Options.Download"}},
		{"empty file", TrainImagesFile, []byte{}, false, ErrNotGzip,
			[]string{"not a gzip file", "empty"}},
		{"not gzip", TrainImagesFile, idxImages(3, Rows, Cols, 3), false, ErrNotGzip,
			[]string{"not a gzip file", "gzip it"}},
		{"truncated gzip", TrainImagesFile, validTrainImages[:len(validTrainImages)/2], false, ErrTruncated,
			[]string{"truncated", "gzip stream ends early", "download it again"}},
		{"truncated gzip trailer", TrainImagesFile, validTrainImages[:len(validTrainImages)-4], false, ErrTruncated,
			[]string{"truncated", "gzip stream ends early"}},
		{"truncated gzip header", TrainImagesFile, validTrainImages[:5], false, ErrTruncated,
			[]string{"truncated", "gzip header"}},
		{"corrupt gzip", TrainImagesFile, flipByte(validTrainImages, len(validTrainImages)-6), false, ErrCorrupt,
			[]string{"bad gzip data", "checksum"}},
		{"truncated IDX", TrainImagesFile, gz(idxImages(3, Rows, Cols, 2)), false, ErrTruncated,
			[]string{"IDX data ends early", "3 images", "1568 bytes follow"}},
		{"truncated IDX header", TestLabelsFile, gz(idxLabels(2)[:6]), false, ErrTruncated,
			[]string{"IDX header is 8 bytes, only 6"}},
		{"trailing data", TestLabelsFile, gz(idxLabels(2, 7, 9, 0)), false, ErrCorrupt,
			[]string{"unexpected data after the last of 2 labels"}},
		{"wrong magic", TrainImagesFile, gz(append([]byte{0, 0, 8, 4}, idxImages(3, Rows, Cols, 3)[4:]...)), false, ErrBadMagic,
			[]string{"wrong magic number", "got 0x00000804, want 0x00000803"}},
		{"swapped files", TestLabelsFile, gz(idxImages(2, Rows, Cols, 2)), false, ErrBadMagic,
			[]string{"wrong magic number", "looks like an images file"}},
		{"wrong dimensions", TestImagesFile, gz(idxImages(2, 32, 32, 2)), false, ErrBadDims,
			[]string{"wrong image dimensions", "32x32, want 28x28"}},
		{"too many examples", TrainImagesFile, gz(idxImages(1<<31, Rows, Cols, 1)), false, ErrTooLarge,
			[]string{"too many examples", "2147483648 images"}},
		{"count mismatch", TrainLabelsFile, gz(idxLabels(4, 1, 2, 3, 4)), false, ErrCountMismatch,
			[]string{"image/label count mismatch", "3 images", TrainLabelsFile + " holds 4 labels"}},
		{"label out of range", TrainLabelsFile, gz(idxLabels(3, 1, 10, 3)), false, ErrBadLabel,
			[]string{"label out of range", "label 10 at index 1"}},
		{"checksum mismatch", TrainImagesFile, validTrainImages, true, ErrChecksum,
			[]string{"sha256 checksum mismatch", "expected " + checksums[TrainImagesFile], "got ", "download it again"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := smallDir(t)
			path := filepath.Join(dir, tc.file)
			if tc.data == nil {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, dir, tc.file, tc.data)
			}
			data, err := Load(Options{Dir: dir, NoVerify: !tc.verify, ValidationSize: 1})
			if err == nil {
				t.Fatalf("Load succeeded with %d training examples, want an error", data.Train.Len())
			}
			msg := err.Error()
			t.Log(msg)
			if !errors.Is(err, tc.kind) {
				t.Errorf("error is not %v", tc.kind)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error is a %T, not a *FileError", err)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("message is not one line: %q", msg)
			}
			if tc.kind == ErrCountMismatch {
				// Blamed on the images file, naming the labels file.
				path = filepath.Join(dir, TrainImagesFile)
			}
			if !strings.HasPrefix(msg, "mnist: "+path+": ") {
				t.Errorf("message does not start with %q", "mnist: "+path+": ")
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q", w)
				}
			}
		})
	}
}

// flipByte returns a copy of data with byte i inverted.
func flipByte(data []byte, i int) []byte {
	out := append([]byte(nil), data...)
	out[i] ^= 0xFF
	return out
}

func TestMissingFileIsNotExist(t *testing.T) {
	_, err := Load(Options{Dir: t.TempDir()})
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrMissing) {
		t.Fatalf("got %v, want an error matching fs.ErrNotExist and ErrMissing", err)
	}
}

// TestReadersNoVerify checks that the low-level readers accept crafted data
// with no checksum and scale pixels to byte/255.
func TestReadersNoVerify(t *testing.T) {
	images, err := ReadImages(strings.NewReader(string(gz(idxImages(2, Rows, Cols, 2)))), "crafted")
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 2*Pixels {
		t.Fatalf("got %d pixels, want %d", len(images), 2*Pixels)
	}
	for i, want := range map[int]float32{0: 0, 1: 1.0 / 255, 255: 1, Pixels + 50: 51.0 / 255} {
		if images[i] != want {
			t.Errorf("pixel %d = %v, want %v", i, images[i], want)
		}
	}
	labels, err := ReadLabels(strings.NewReader(string(gz(idxLabels(3, 0, 9, 4)))), "crafted")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 9, 4}; !equalInts(labels, want) {
		t.Errorf("labels = %v, want %v", labels, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
