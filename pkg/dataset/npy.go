package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/sbinet/npyio/npy"

	"github.com/advmlgo/advml/pkg/classifier"
)

// maxHeader bounds a .npy header's length; NumPy itself refuses headers
// over 10,000 bytes unless told otherwise.
const maxHeader = 1 << 16

// ReadNPY reads images and their labels from two .npy files (numpy.save):
//
//   - images: uint8 0..255 (divided by 255) or float32/float64 values in
//     [0, 1], shaped [n, rows, cols] (one channel), [n, rows, cols,
//     channels] or [n, channels, rows, cols] (Options.Layout, or found);
//   - labels: integers shaped [n], or one-hot rows [n, classes] (Keras'
//     to_categorical).
//
// Every problem is a one-line error naming the file.
func ReadNPY(imagesPath, labelsPath string, opts Options) (*Set, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	a, err := readNPYFile(imagesPath)
	if err != nil {
		return nil, err
	}
	images, g, err := imagesFrom(a, opts)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", imagesPath, err)
	}
	a = nil
	b, err := readNPYFile(labelsPath)
	if err != nil {
		return nil, err
	}
	labels, err := labelsFrom(b)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", labelsPath, err)
	}
	n := len(images) / g.Pixels()
	if len(labels) != n {
		return nil, fmt.Errorf("dataset: %s holds %d labels for the %d images of %s: give one label per image", labelsPath, len(labels), n, imagesPath)
	}
	s := &Set{Images: images, Labels: labels, Geometry: g, Source: imagesPath}
	if err := finish(s, opts, nil, "dataset: "+labelsPath); err != nil {
		return nil, err
	}
	return s, nil
}

// array is a decoded .npy array: its shape and its values as float64
// (exact for every integer a label or a pixel can be).
type array struct {
	dtype  string // The kind and size: "u1", "f4", "i8", …
	shape  []int
	values []float64
}

func readNPYFile(path string) (*array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("dataset: %s is a folder, not a .npy file: name the file numpy.save wrote", path)
	}
	if info.Size() > 8*MaxValues+maxHeader+16 {
		return nil, fmt.Errorf("dataset: %s: %d bytes is more than %d values: evaluate on a part of it", path, info.Size(), MaxValues)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %v", path, oneLine(err))
	}
	a, err := decodeNPY(data)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return a, nil
}

// decodeNPY checks a .npy file's preamble and header before npyio reads
// it: the header's length is bounded, its dtype is a plain number (object
// arrays hold pickles, which are never read), its shape's product is
// bounded, and the data fills the shape exactly.
func decodeNPY(data []byte) (*array, error) {
	const notNPY = "not a .npy file (save it with numpy.save)"
	if len(data) < 10 || string(data[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%s: it does not start with NumPy's magic string", notNPY)
	}
	var headerLen, start int
	switch data[6] {
	case 1:
		headerLen, start = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2:
		if len(data) < 12 {
			return nil, fmt.Errorf("%s: it ends inside its preamble", notNPY)
		}
		headerLen, start = int(binary.LittleEndian.Uint32(data[8:12])), 12
	default:
		return nil, fmt.Errorf("%s: format version %d.%d is not 1.0 or 2.0: save it with numpy.save", notNPY, data[6], data[7])
	}
	if headerLen > maxHeader {
		return nil, fmt.Errorf("%s: its header declares %d bytes, more than %d", notNPY, headerLen, maxHeader)
	}
	end := start + headerLen
	if end > len(data) {
		return nil, fmt.Errorf("truncated: the header declares %d bytes, the file ends after %d", headerLen, len(data)-start)
	}
	header := data[start:end]
	if !bytes.HasSuffix(header, []byte("\n")) || !bytes.HasPrefix(bytes.TrimLeft(header, " "), []byte("{")) {
		return nil, fmt.Errorf("%s: its header is not a dictionary ending in a newline", notNPY)
	}
	if bytes.ContainsAny(header, "\x00") {
		return nil, fmt.Errorf("%s: its header holds a NUL byte", notNPY)
	}
	r, err := npyReader(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", notNPY, err)
	}
	descr := r.Header.Descr
	if descr.Fortran {
		return nil, fmt.Errorf("the array is in Fortran order: save numpy.ascontiguousarray(x)")
	}
	kind, size, err := plainDtype(descr.Type)
	if err != nil {
		return nil, err
	}
	count := 1
	for _, d := range descr.Shape {
		if d < 0 {
			return nil, fmt.Errorf("its shape %v has a negative axis", descr.Shape)
		}
		if d > 0 && count > MaxValues/d {
			return nil, fmt.Errorf("its shape %v holds more than %d values: evaluate on a part of it", descr.Shape, MaxValues)
		}
		count *= d
	}
	if got, want := len(data)-end, count*size; got != want {
		if got < want {
			return nil, fmt.Errorf("truncated: shape %v of %s needs %d bytes of data, the file holds %d", descr.Shape, descr.Type, want, got)
		}
		return nil, fmt.Errorf("%d bytes after the %d that shape %v of %s needs: the file is damaged", got-want, want, descr.Shape, descr.Type)
	}
	values, err := npyValues(r, kind+fmt.Sprint(size), count)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", notNPY, err)
	}
	return &array{dtype: kind + fmt.Sprint(size), shape: slices.Clone(descr.Shape), values: values}, nil
}

// npyReader reads the header with npyio; a header it cannot take is an
// error, never a panic.
func npyReader(data []byte) (r *npy.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("its header cannot be read (%v)", p)
		}
	}()
	r, err = npy.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("its header cannot be read (%s)", oneLine(err))
	}
	return r, nil
}

// plainDtype accepts the dtypes of pixels and labels: unsigned and signed
// integers, float32 and float64, in either byte order. Everything else
// (objects, which hold pickles; strings; records; complex numbers) is
// refused with the dtype named.
func plainDtype(t string) (kind string, size int, err error) {
	body := strings.TrimLeft(t, "<>|=")
	switch body {
	case "u1", "i1":
		return body[:1], 1, nil
	case "u2", "i2":
		return body[:1], 2, nil
	case "u4", "i4", "f4":
		return body[:1], 4, nil
	case "u8", "i8", "f8":
		return body[:1], 8, nil
	}
	what := "an unsupported type"
	switch {
	case strings.HasPrefix(body, "O"):
		what = "Python objects (a pickle, which is never read)"
	case strings.HasPrefix(t, "["), strings.HasPrefix(t, "("):
		what = "records"
	}
	return "", 0, fmt.Errorf("its dtype %q holds %s: save numbers, e.g. x.astype(numpy.uint8) or x.astype(numpy.float32)", t, what)
}

// npyValues reads the data into float64s through npyio, by dtype.
func npyValues(r *npy.Reader, dtype string, count int) (values []float64, err error) {
	defer func() {
		if p := recover(); p != nil {
			values, err = nil, fmt.Errorf("its data cannot be read (%v)", p)
		}
	}()
	switch dtype {
	case "u1":
		return readAs[uint8](r, count)
	case "i1":
		return readAs[int8](r, count)
	case "u2":
		return readAs[uint16](r, count)
	case "i2":
		return readAs[int16](r, count)
	case "u4":
		return readAs[uint32](r, count)
	case "i4":
		return readAs[int32](r, count)
	case "u8":
		return readAs[uint64](r, count)
	case "i8":
		return readAs[int64](r, count)
	case "f4":
		return readAs[float32](r, count)
	case "f8":
		return readAs[float64](r, count)
	}
	return nil, fmt.Errorf("dtype %s", dtype)
}

// readAs reads count values of type T (the file's dtype, which npyio
// requires exactly) and returns them as float64s.
func readAs[T uint8 | int8 | uint16 | int16 | uint32 | int32 | uint64 | int64 | float32 | float64](r *npy.Reader, count int) ([]float64, error) {
	values := make([]float64, count)
	if count == 0 {
		return values, nil
	}
	v := make([]T, count)
	if err := r.Read(&v); err != nil && err != io.EOF {
		return nil, fmt.Errorf("its data cannot be read (%s)", oneLine(err))
	}
	for i, x := range v {
		values[i] = float64(x)
	}
	return values, nil
}

// imagesFrom turns an array into NHWC values in [0, 1] and their geometry.
func imagesFrom(a *array, opts Options) ([]float32, classifier.Geometry, error) {
	var g classifier.Geometry
	s := a.shape
	if len(s) != 3 && len(s) != 4 {
		return nil, g, fmt.Errorf("images of shape %v: give [n, rows, cols], [n, rows, cols, channels] or [n, channels, rows, cols]", s)
	}
	if slices.Contains(s, 0) {
		return nil, g, fmt.Errorf("images of shape %v hold no image: give at least one", s)
	}
	layout := classifier.NHWC
	if len(s) == 3 {
		g = classifier.Geometry{Rows: s[1], Cols: s[2], Channels: 1}
	} else {
		var err error
		if layout, err = imageLayout(s, opts); err != nil {
			return nil, g, err
		}
		if layout == classifier.NHWC {
			g = classifier.Geometry{Rows: s[1], Cols: s[2], Channels: s[3]}
		} else {
			g = classifier.Geometry{Rows: s[2], Cols: s[3], Channels: s[1]}
		}
	}
	var scale float64
	switch a.dtype {
	case "u1":
		scale = 255
	case "f4", "f8":
		scale = 1
	default:
		return nil, g, fmt.Errorf("images of dtype %s: save them as uint8 (0..255) or float32 in [0, 1]", a.dtype)
	}
	n := s[0]
	out := make([]float32, len(a.values))
	for i, v := range a.values {
		if !(v >= 0 && v <= scale) {
			j := i // The index in the file's own order.
			hint := "scale the images to [0, 1]"
			if v > 1 && v <= 255 {
				hint = "the images look like 0..255: divide them by 255, or save them as uint8"
			}
			return nil, g, fmt.Errorf("value %d of the images is %g, outside [0, 1]: %s", j, v, hint)
		}
		out[i] = float32(v / scale)
	}
	if layout == classifier.NCHW {
		out = nchwToNHWC(out, n, g)
	}
	want := opts.Geometry
	if want.Rows > 0 {
		if g.Rows != want.Rows || g.Cols != want.Cols {
			return nil, g, fmt.Errorf("images of %d×%d pixels, the model takes %d×%d: resize them to the model's input", g.Rows, g.Cols, want.Rows, want.Cols)
		}
		if g.Channels != want.Channels {
			if g.Channels != 1 || want.Channels != 3 {
				return nil, g, fmt.Errorf("images of %d channels, the model takes %d: convert them", g.Channels, want.Channels)
			}
			out, g.Channels = grayToRGB(out), 3
		}
	}
	return out, g, nil
}

// imageLayout finds the layout of a 4-axis shape.
func imageLayout(s []int, opts Options) (classifier.Layout, error) {
	if opts.Layout != classifier.Auto {
		return opts.Layout, nil
	}
	if w := opts.Geometry; w.Rows > 0 {
		nhwc := s[1] == w.Rows && s[2] == w.Cols && (s[3] == w.Channels || s[3] == 1 && w.Channels == 3)
		nchw := s[2] == w.Rows && s[3] == w.Cols && (s[1] == w.Channels || s[1] == 1 && w.Channels == 3)
		switch {
		case nhwc && !nchw:
			return classifier.NHWC, nil
		case nchw && !nhwc:
			return classifier.NCHW, nil
		case !nhwc && !nchw:
			return classifier.Auto, fmt.Errorf("images of shape %v fit neither [n, %d, %d, %d] (NHWC) nor [n, %d, %d, %d] (NCHW), the model's input", s, w.Rows, w.Cols, w.Channels, w.Channels, w.Rows, w.Cols)
		}
	} else {
		ch := func(d int) bool { return d == 1 || d == 3 }
		switch {
		case ch(s[3]) && !ch(s[1]):
			return classifier.NHWC, nil
		case ch(s[1]) && !ch(s[3]):
			return classifier.NCHW, nil
		}
	}
	return classifier.Auto, fmt.Errorf("images of shape %v could be NHWC or NCHW: say which (Options.Layout, or -layout nhwc|nchw)", s)
}

func nchwToNHWC(in []float32, n int, g classifier.Geometry) []float32 {
	out := make([]float32, len(in))
	plane := g.Rows * g.Cols
	for i := range n {
		src, dst := in[i*g.Pixels():], out[i*g.Pixels():]
		for c := range g.Channels {
			for p := range plane {
				dst[p*g.Channels+c] = src[c*plane+p]
			}
		}
	}
	return out
}

func grayToRGB(in []float32) []float32 {
	out := make([]float32, 3*len(in))
	for i, v := range in {
		out[3*i], out[3*i+1], out[3*i+2] = v, v, v
	}
	return out
}

// labelsFrom reads class indices: integers [n], or one-hot rows [n, k].
func labelsFrom(a *array) ([]int, error) {
	integer := a.dtype[0] == 'u' || a.dtype[0] == 'i'
	switch {
	case len(a.shape) == 1 && integer:
		labels := make([]int, len(a.values))
		for i, v := range a.values {
			if v < 0 || v > math.MaxInt32 {
				return nil, fmt.Errorf("label %d is %g, not a class", i, v)
			}
			labels[i] = int(v)
		}
		return labels, nil
	case len(a.shape) == 2 && a.shape[1] > 0:
		k := a.shape[1]
		labels := make([]int, a.shape[0])
		for i := range labels {
			row, hot := a.values[i*k:(i+1)*k], -1
			for c, v := range row {
				switch {
				case v == 1 && hot < 0:
					hot = c
				case v != 0:
					hot = -2
				}
			}
			if hot < 0 {
				return nil, fmt.Errorf("row %d of the one-hot labels %v is not one 1 among 0s: give integer labels [n]", i, row)
			}
			labels[i] = hot
		}
		return labels, nil
	}
	return nil, fmt.Errorf("labels of shape %v and dtype %s: give integers of shape [n] (or one-hot rows [n, classes])", a.shape, a.dtype)
}

// WriteNPY writes s as two .npy files NumPy reads: the images as float32
// [n, rows, cols, channels] in [0, 1], the labels as int64 [n].
func WriteNPY(s *Set, imagesPath, labelsPath string) error {
	g := s.Geometry
	if g.Pixels() <= 0 || len(s.Images) != s.Len()*g.Pixels() {
		return fmt.Errorf("dataset: WriteNPY: %d values for %d images of %v", len(s.Images), s.Len(), g)
	}
	var b bytes.Buffer
	writeHeader(&b, "<f4", []int{s.Len(), g.Rows, g.Cols, g.Channels})
	if err := binary.Write(&b, binary.LittleEndian, s.Images); err != nil {
		return fmt.Errorf("dataset: WriteNPY: %w", err)
	}
	if err := os.WriteFile(imagesPath, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	b.Reset()
	writeHeader(&b, "<i8", []int{s.Len()})
	labels := make([]int64, s.Len())
	for i, l := range s.Labels {
		labels[i] = int64(l)
	}
	if err := binary.Write(&b, binary.LittleEndian, labels); err != nil {
		return fmt.Errorf("dataset: WriteNPY: %w", err)
	}
	if err := os.WriteFile(labelsPath, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}

// writeHeader writes a version 1.0 preamble and header, padded so that
// the data starts at a multiple of 64 bytes, as NumPy does.
func writeHeader(b *bytes.Buffer, dtype string, shape []int) {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	tuple += ")"
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", dtype, tuple)
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
}
