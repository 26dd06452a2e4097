package dataset_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/internal/testutil"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/dataset"
)

func npyFile(name string) string { return filepath.Join("testdata", "npy", name) }

// The fixtures were written by numpy.save (testdata/make_fixtures.py);
// their values follow formulas computed again here.
func TestReadNPYFixtures(t *testing.T) {
	nchw := func(n, c, h, w int, f func(i int) float64) []float32 {
		out := make([]float32, n*c*h*w)
		for i := range n {
			for ch := range c {
				for y := range h {
					for x := range w {
						out[((i*h+y)*w+x)*c+ch] = float32(f(((i*c+ch)*h+y)*w + x))
					}
				}
			}
		}
		return out
	}
	flat := func(n int, f func(i int) float64) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(f(i))
		}
		return out
	}
	for _, c := range []struct {
		images, labels string
		opts           dataset.Options
		geometry       classifier.Geometry
		want           []float32
		labelsWant     []int
	}{
		{"u1_nchw.npy", "labels_i8.npy", dataset.Options{}, classifier.Geometry{Rows: 4, Cols: 5, Channels: 3, Classes: 2},
			nchw(2, 3, 4, 5, func(i int) float64 { return float64(i*7%256) / 255 }), []int{1, 0}},
		{"f4_nhwc.npy", "labels_u1.npy", dataset.Options{}, classifier.Geometry{Rows: 4, Cols: 5, Channels: 3, Classes: 3},
			flat(120, func(i int) float64 { return float64(float32(float64(i) / 119)) }), []int{2, 1}},
		{"f8_nhw.npy", "labels_onehot.npy", dataset.Options{}, classifier.Geometry{Rows: 4, Cols: 5, Channels: 1, Classes: 3},
			flat(40, func(i int) float64 { return float64(i) / 39 }), []int{1, 2}},
		{"f4be_nhwc.npy", "labels_i8.npy", dataset.Options{}, classifier.Geometry{Rows: 4, Cols: 5, Channels: 1, Classes: 2},
			flat(40, func(i int) float64 { return float64(float32(float64(i) / 40)) }), []int{1, 0}},
		// A model's geometry: 10 classes, and one channel repeated into three.
		{"f8_nhw.npy", "labels_i8.npy", dataset.Options{Geometry: classifier.Geometry{Rows: 4, Cols: 5, Channels: 3, Classes: 10}},
			classifier.Geometry{Rows: 4, Cols: 5, Channels: 3, Classes: 10},
			nchw(2, 1, 4, 5, func(i int) float64 { return float64(i) / 39 }), []int{1, 0}},
	} {
		s, err := dataset.ReadNPY(npyFile(c.images), npyFile(c.labels), c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.images, err)
		}
		want := c.want
		if c.geometry.Channels == 3 && len(want) == 40 {
			want = nil
			for _, v := range c.want {
				want = append(want, v, v, v)
			}
		}
		if s.Geometry != c.geometry || s.Len() != 2 || fmt.Sprint(s.Labels) != fmt.Sprint(c.labelsWant) {
			t.Errorf("%s: %v, %d images, labels %v; want %v, 2, %v", c.images, s.Geometry, s.Len(), s.Labels, c.geometry, c.labelsWant)
			continue
		}
		if len(s.Names) != c.geometry.Classes || s.Names[1] != "1" {
			t.Errorf("%s: class names %v", c.images, s.Names)
		}
		for i, v := range want {
			if math.Abs(float64(s.Images[i]-v)) > 1e-7 {
				t.Errorf("%s: value %d is %g, want %g", c.images, i, s.Images[i], v)
				break
			}
		}
	}
}

// MNIST digits written with WriteNPY read back identical, and as the
// model's geometry says.
func TestWriteNPYRoundTrip(t *testing.T) {
	test := testutil.MNIST(t).Test
	s := &dataset.Set{Images: test.Images[:50*784], Labels: test.Labels[:50], Geometry: classifier.Geometry{Rows: 28, Cols: 28, Channels: 1, Classes: 10}}
	dir := t.TempDir()
	x, y := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	if err := dataset.WriteNPY(s, x, y); err != nil {
		t.Fatal(err)
	}
	back, err := dataset.ReadNPY(x, y, dataset.Options{Geometry: s.Geometry})
	if err != nil {
		t.Fatal(err)
	}
	if back.Geometry != s.Geometry || fmt.Sprint(back.Labels) != fmt.Sprint(s.Labels) {
		t.Fatalf("read back %v with labels %v", back.Geometry, back.Labels)
	}
	for i, v := range s.Images {
		if back.Images[i] != v {
			t.Fatalf("value %d read back as %g, written %g", i, back.Images[i], v)
		}
	}
	if first := back.First(3); first.Len() != 3 || len(first.Images) != 3*784 {
		t.Errorf("First(3): %d images, %d values", first.Len(), len(first.Images))
	}
}

// npyBytes makes a .npy file with the given header dictionary and data.
func npyBytes(header string, data []byte) []byte {
	h := header + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(data)
	return b.Bytes()
}

func TestReadNPYBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := npyFile("f8_nhw.npy")
	labels := npyFile("labels_i8.npy")
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	v2 := []byte("\x93NUMPY\x02\x00\x00\x00\x00\x40")
	for _, c := range []struct {
		name           string
		images, labels string
		opts           dataset.Options
		want           string
	}{
		{"missing", filepath.Join(dir, "nothing.npy"), labels, dataset.Options{}, "no such file"},
		{"a folder", dir, labels, dataset.Options{}, "is a folder, not a .npy file"},
		{"empty", write("empty.npy", nil), labels, dataset.Options{}, "not a .npy file"},
		{"not npy", write("text.npy", []byte("hello, this is text")), labels, dataset.Options{}, "does not start with NumPy's magic string"},
		{"version 3", write("v3.npy", []byte("\x93NUMPY\x03\x00\x10\x00{}")), labels, dataset.Options{}, "format version 3.0"},
		{"huge header", write("v2.npy", v2), labels, dataset.Options{}, "its header declares 1073741824 bytes"},
		{"truncated header", write("th.npy", goodBytes[:40]), labels, dataset.Options{}, "truncated: the header declares"},
		{"garbled header", write("gh.npy", npyBytes("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2,), }", make([]byte, 16))), labels, dataset.Options{}, "its header cannot be read"},
		{"header not a dict", write("nd.npy", npyBytes("[1, 2]", nil)), labels, dataset.Options{}, "not a dictionary"},
		{"shape garbage", write("sg.npy", npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", make([]byte, 16))), labels, dataset.Options{}, "its header cannot be read"},
		{"pickled objects", npyFile("object.npy"), labels, dataset.Options{}, "holds Python objects (a pickle, which is never read)"},
		{"records", write("rec.npy", npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", make([]byte, 8))), labels, dataset.Options{}, "holds records"},
		{"complex", write("c.npy", npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", make([]byte, 16))), labels, dataset.Options{}, `its dtype "<c8" holds an unsupported type`},
		{"fortran", npyFile("fortran.npy"), labels, dataset.Options{}, "Fortran order: save numpy.ascontiguousarray(x)"},
		{"terabytes", write("tb.npy", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000, 1000), }", make([]byte, 64))), labels, dataset.Options{}, "holds more than 1073741824 values"},
		{"negative axis", write("neg.npy", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 4, 5), }", nil)), labels, dataset.Options{}, "has a negative axis"},
		{"truncated data", write("td.npy", goodBytes[:len(goodBytes)-8]), labels, dataset.Options{}, "truncated: shape [2 4 5] of <f8 needs 320 bytes of data, the file holds 312"},
		{"trailing data", write("tr.npy", append(append([]byte{}, goodBytes...), 0, 0)), labels, dataset.Options{}, "2 bytes after the 320 that shape [2 4 5] of <f8 needs"},
		{"0..255 as floats", npyFile("f4_255.npy"), labels, dataset.Options{}, "divide them by 255, or save them as uint8"},
		{"NaN", write("nan.npy", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }", []byte{0, 0, 0xc0, 0x7f})), labels, dataset.Options{}, "value 0 of the images is NaN"},
		{"int32 images", write("i4.npy", npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1), }", make([]byte, 4))), labels, dataset.Options{}, "images of dtype i4: save them as uint8"},
		{"2-D images", labels, labels, dataset.Options{}, "images of shape [2]"},
		{"no image", write("zero.npy", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4, 5), }", nil)), labels, dataset.Options{}, "hold no image"},
		{"ambiguous layout", write("amb.npy", npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3, 4, 3), }", make([]byte, 36))), labels, dataset.Options{}, "could be NHWC or NCHW: say which"},
		{"bad layout option", good, labels, dataset.Options{Layout: 9}, "Options.Layout is Layout(9)"},
		{"bad geometry option", good, labels, dataset.Options{Geometry: classifier.Geometry{Rows: 4}}, "Options.Geometry is 4×0×0"},
		{"wrong size", good, labels, dataset.Options{Geometry: classifier.Geometry{Rows: 28, Cols: 28, Channels: 1, Classes: 10}}, "images of 4×5 pixels, the model takes 28×28"},
		{"wrong channels", npyFile("u1_nchw.npy"), labels, dataset.Options{Geometry: classifier.Geometry{Rows: 4, Cols: 5, Channels: 1, Classes: 10}}, "fit neither [n, 4, 5, 1] (NHWC) nor [n, 1, 4, 5] (NCHW)"},
		{"labels count", good, write("l3.npy", npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", make([]byte, 24))), dataset.Options{}, "holds 3 labels for the 2 images"},
		{"float labels", good, good, dataset.Options{}, "labels of shape [2 4 5] and dtype f8"},
		{"not one-hot", good, npyFile("f4_nhwc.npy"), dataset.Options{}, "labels of shape [2 4 5 3]"},
		{"label beyond the model", good, npyFile("labels_u1.npy"), dataset.Options{Geometry: classifier.Geometry{Rows: 4, Cols: 5, Channels: 1, Classes: 2}}, "label 2 of image 0 is not a class: use 0 to 1"},
	} {
		_, err := dataset.ReadNPY(c.images, c.labels, c.opts)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "dataset: ") {
			t.Errorf("%s: error %q, want one line with %q", c.name, msg, c.want)
		}
		if c.name != "bad layout option" && c.name != "bad geometry option" && !strings.Contains(msg, filepath.Base(c.images)) && !strings.Contains(msg, filepath.Base(c.labels)) {
			t.Errorf("%s: error %q names no file", c.name, msg)
		}
	}
}

// The ImageFolder fixture (written by Pillow) reads as NumPy reads it.
func TestReadFolderFixture(t *testing.T) {
	s, err := dataset.ReadFolder(filepath.Join("testdata", "folder"), dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := dataset.ReadNPY(filepath.Join("testdata", "folder_expected.npy"), filepath.Join("testdata", "folder_labels.npy"), dataset.Options{Layout: classifier.NHWC})
	if err != nil {
		t.Fatal(err)
	}
	if s.Geometry != want.Geometry || fmt.Sprint(s.Labels) != fmt.Sprint(want.Labels) || fmt.Sprint(s.Names) != "[a b]" {
		t.Fatalf("read %v, labels %v, names %v; want %v, %v, [a b]", s.Geometry, s.Labels, s.Names, want.Geometry, want.Labels)
	}
	for i, v := range want.Images {
		if math.Abs(float64(s.Images[i]-v)) > 1e-6 {
			t.Fatalf("value %d (image %d) is %g, Pillow's %g", i, i/s.Geometry.Pixels(), s.Images[i], v)
		}
	}
}

// MNIST digits saved as grey PNGs in class folders read back as the MNIST
// reader gives them, also as three channels when the model asks.
func TestReadFolderOfDigits(t *testing.T) {
	test := testutil.MNIST(t).Test
	dir := t.TempDir()
	for i := range 20 {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for p, v := range test.Image(i) {
			img.Pix[p] = uint8(math.Round(float64(v) * 255))
		}
		writePNG(t, filepath.Join(dir, fmt.Sprint(test.Labels[i]), fmt.Sprintf("%05d.png", i)), img)
	}
	s, err := dataset.ReadFolder(dir, dataset.Options{Geometry: classifier.Geometry{Rows: 28, Cols: 28, Channels: 1, Classes: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 20 || s.Geometry.Channels != 1 || s.Geometry.Classes != 10 || len(s.Names) != 10 {
		t.Fatalf("%d images of %v, names %v", s.Len(), s.Geometry, s.Names)
	}
	// Folders named by numbers are those classes, although the first 20
	// digits hold no 8; images come folder by folder, in file order.
	var order []int
	for class := range 10 {
		for i := range 20 {
			if test.Labels[i] == class {
				order = append(order, i)
			}
		}
	}
	for k, i := range order {
		if s.Labels[k] != test.Labels[i] {
			t.Fatalf("image %d has label %d, digit %d's is %d", k, s.Labels[k], i, test.Labels[i])
		}
		for p, v := range test.Image(i) {
			if math.Abs(float64(s.Image(k)[p]-v)) > 1e-6 {
				t.Fatalf("image %d, pixel %d is %g, digit %d's is %g", k, p, s.Image(k)[p], i, v)
			}
		}
	}
	rgb, err := dataset.ReadFolder(dir, dataset.Options{Geometry: classifier.Geometry{Rows: 28, Cols: 28, Channels: 3, Classes: 10}})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range s.Images {
		if w := rgb.Images[3*i : 3*i+3]; w[0] != v || w[1] != v || w[2] != v {
			t.Fatalf("value %d in three channels is %v, grey %g", i, w, v)
		}
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// hugePNG declares width×height pixels in a valid header (CRC included)
// over a tiny image's data.
func hugePNG(t *testing.T, width, height uint32) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	ihdr := data[8+8 : 8+8+13] // After the signature, length and "IHDR".
	binary.BigEndian.PutUint32(ihdr[0:4], width)
	binary.BigEndian.PutUint32(ihdr[4:8], height)
	binary.BigEndian.PutUint32(data[8+8+13:], crc32.ChecksumIEEE(data[12:8+8+13]))
	return data
}

func TestReadFolderBadTrees(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 4, 5))
	colour := image.NewRGBA(image.Rect(0, 0, 4, 5))
	colour.Set(1, 1, color.RGBA{200, 10, 10, 255})
	for _, c := range []struct {
		name  string
		build func(dir string)
		opts  dataset.Options
		want  string
	}{
		{"no class folder", func(dir string) {}, dataset.Options{}, "holds no class folder"},
		{"a file beside the classes", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), gray)
			os.WriteFile(filepath.Join(dir, "README.txt"), []byte("hi"), 0o644)
		}, dataset.Options{}, "README.txt is a file beside the class folders"},
		{"not a PNG", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), gray)
			os.WriteFile(filepath.Join(dir, "a", "1.jpg"), []byte("jpeg"), 0o644)
		}, dataset.Options{}, "1.jpg is not a .png file"},
		{"a folder in a class", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "a", "deeper"), 0o755)
		}, dataset.Options{}, "deeper is a folder inside a class folder"},
		{"an empty class", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), gray)
			os.MkdirAll(filepath.Join(dir, "b"), 0o755)
		}, dataset.Options{}, "class folder " + "%s" + "/b holds no PNG file"},
		{"garbled PNG", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "a"), 0o755)
			os.WriteFile(filepath.Join(dir, "a", "0.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
		}, dataset.Options{}, "0.png: not a PNG image"},
		{"a PNG of 10⁵×10⁵ pixels declared", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "a"), 0o755)
			os.WriteFile(filepath.Join(dir, "a", "0.png"), hugePNG(t, 100000, 100000), 0o644)
		}, dataset.Options{}, "declares 100000×100000 pixels"},
		{"sizes differ", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), gray)
			writePNG(t, filepath.Join(dir, "b", "0.png"), image.NewGray(image.Rect(0, 0, 5, 5)))
		}, dataset.Options{}, "is 5×5 pixels"},
		{"colour for a grey model", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), colour)
		}, dataset.Options{Geometry: classifier.Geometry{Rows: 5, Cols: 4, Channels: 1, Classes: 10}}, "has colour, the model takes grey images"},
		{"size for the model", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), gray)
		}, dataset.Options{Geometry: classifier.Geometry{Rows: 28, Cols: 28, Channels: 1, Classes: 10}}, "images of 5×4 pixels, the model takes 28×28"},
		{"more folders than classes", func(dir string) {
			writePNG(t, filepath.Join(dir, "a", "0.png"), gray)
			writePNG(t, filepath.Join(dir, "b", "0.png"), gray)
			writePNG(t, filepath.Join(dir, "c", "0.png"), gray)
		}, dataset.Options{Geometry: classifier.Geometry{Rows: 5, Cols: 4, Channels: 1, Classes: 2}}, "holds 3 class folders, the model has 2 classes"},
	} {
		dir := t.TempDir()
		c.build(dir)
		_, err := dataset.ReadFolder(dir, c.opts)
		want := c.want
		if strings.Contains(want, "%s") {
			want = fmt.Sprintf(want, dir)
		}
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", c.name, err, want)
		}
	}
	if _, err := dataset.ReadFolder(filepath.Join(t.TempDir(), "none"), dataset.Options{}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing folder: %v", err)
	}
}

// TestSubsetAndHeadKeepTheGeometry: a set of colour images (another
// geometry than MNIST's) is cut by its own image size, and keeps its
// geometry, names and source; a set built without a geometry is cut by its
// values shared out over its labels.
func TestSubsetAndHeadKeepTheGeometry(t *testing.T) {
	g := classifier.Geometry{Rows: 2, Cols: 2, Channels: 3, Classes: 3}
	s := &dataset.Set{Images: make([]float32, 4*g.Pixels()), Labels: []int{0, 1, 2, 1}, Geometry: g, Names: []string{"a", "b", "c"}, Source: "test"}
	for i := range s.Images {
		s.Images[i] = float32(i) / float32(len(s.Images))
	}
	sub := s.Subset([]int{3, 0, 3})
	if sub.Geometry != g || sub.Source != "test" || len(sub.Names) != 3 || sub.Len() != 3 || sub.Labels[0] != 1 {
		t.Fatalf("subset %+v", sub)
	}
	for k, i := range []int{3, 0, 3} {
		for j, v := range sub.Image(k) {
			if v != s.Image(i)[j] {
				t.Fatalf("subset image %d value %d: %g, want image %d's %g", k, j, v, i, s.Image(i)[j])
			}
		}
	}
	if h := s.Head(2); h.Len() != 2 || h.Image(1)[0] != s.Image(1)[0] || s.Head(-1).Len() != 0 || s.Head(9).Len() != 4 {
		t.Errorf("Head: %d images", h.Len())
	}
	bare := &dataset.Set{Images: s.Images, Labels: s.Labels}
	if bare.Pixels() != g.Pixels() || bare.Subset([]int{2}).Image(0)[0] != s.Image(2)[0] {
		t.Errorf("a set without geometry: %d values per image, want %d", bare.Pixels(), g.Pixels())
	}
}
