package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Magic numbers of IDX files of unsigned bytes: 0x08 is the type code,
// the last byte the number of dimensions.
const (
	imagesMagic = 0x00000803 // 3 dimensions: count, rows, cols
	labelsMagic = 0x00000801 // 1 dimension: count
)

// pixelScale maps a pixel byte to its float32 value byte/255.
var pixelScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// ReadImages reads a gzipped IDX3 images file (such as
// train-images-idx3-ubyte.gz) from r and returns its pixels scaled to [0,1],
// Pixels values per image, row-major. name is only used in error messages.
// It does not check the file's sha256 sum. Errors are *FileError values.
func ReadImages(r io.Reader, name string) ([]float32, error) {
	zr, err := openGzip(r, name)
	if err != nil {
		return nil, err
	}
	return decodeImages(zr, name)
}

// ReadLabels reads a gzipped IDX1 labels file (such as
// train-labels-idx1-ubyte.gz) from r and returns its labels, each checked
// to be in 0..NumClasses-1. name is only used in error messages. It does
// not check the file's sha256 sum. Errors are *FileError values.
func ReadLabels(r io.Reader, name string) ([]int, error) {
	zr, err := openGzip(r, name)
	if err != nil {
		return nil, err
	}
	return decodeLabels(zr, name)
}

// decodeImages reads an uncompressed IDX3 images stream.
func decodeImages(r io.Reader, name string) ([]float32, error) {
	var hdr [16]byte
	if err := readHeader(r, hdr[:], name); err != nil {
		return nil, err
	}
	if err := checkMagic(binary.BigEndian.Uint32(hdr[0:]), imagesMagic, name); err != nil {
		return nil, err
	}
	count := binary.BigEndian.Uint32(hdr[4:])
	rows := binary.BigEndian.Uint32(hdr[8:])
	cols := binary.BigEndian.Uint32(hdr[12:])
	if rows != Rows || cols != Cols {
		return nil, &FileError{File: name, Kind: ErrBadDims,
			Detail: fmt.Sprintf("images are %dx%d, want %dx%d", rows, cols, Rows, Cols),
			Hint:   hintMNIST}
	}
	if err := checkCount(count, "images", name); err != nil {
		return nil, err
	}
	n := int(count)
	pix, err := readExactly(r, n*Pixels)
	if err != nil {
		return nil, dataError(err, name, fmt.Sprintf("header declares %d images (%d pixel bytes) but only %d bytes follow", n, n*Pixels, len(pix)))
	}
	if err := checkEnd(r, name, fmt.Sprintf("%d images", n)); err != nil {
		return nil, err
	}
	images := make([]float32, len(pix))
	for i, b := range pix {
		images[i] = pixelScale[b]
	}
	return images, nil
}

// decodeLabels reads an uncompressed IDX1 labels stream.
func decodeLabels(r io.Reader, name string) ([]int, error) {
	var hdr [8]byte
	if err := readHeader(r, hdr[:], name); err != nil {
		return nil, err
	}
	if err := checkMagic(binary.BigEndian.Uint32(hdr[0:]), labelsMagic, name); err != nil {
		return nil, err
	}
	count := binary.BigEndian.Uint32(hdr[4:])
	if err := checkCount(count, "labels", name); err != nil {
		return nil, err
	}
	n := int(count)
	raw, err := readExactly(r, n)
	if err != nil {
		return nil, dataError(err, name, fmt.Sprintf("header declares %d labels but only %d bytes follow", n, len(raw)))
	}
	if err := checkEnd(r, name, fmt.Sprintf("%d labels", n)); err != nil {
		return nil, err
	}
	labels := make([]int, n)
	for i, b := range raw {
		if b >= NumClasses {
			return nil, &FileError{File: name, Kind: ErrBadLabel,
				Detail: fmt.Sprintf("label %d at index %d is outside 0..%d", b, i, NumClasses-1),
				Hint:   hintMNIST}
		}
		labels[i] = int(b)
	}
	return labels, nil
}

// readHeader fills hdr from r.
func readHeader(r io.Reader, hdr []byte, name string) error {
	n, err := io.ReadFull(r, hdr)
	if err == nil {
		return nil
	}
	detail := fmt.Sprintf("IDX header is %d bytes, only %d present", len(hdr), n)
	if n == 0 {
		detail = "no data: the file holds no IDX header"
	}
	return dataError(err, name, detail)
}

// checkMagic compares the magic number of a header with the wanted one.
func checkMagic(got, want uint32, name string) error {
	if got == want {
		return nil
	}
	hint := hintMNIST
	switch {
	case got == labelsMagic:
		hint = "this looks like a labels file; were the file names swapped?"
	case got == imagesMagic:
		hint = "this looks like an images file; were the file names swapped?"
	case got&0xFFFF0000 == 0x1F8B0000:
		hint = "the data is gzipped twice; decompress it once"
	}
	return &FileError{File: name, Kind: ErrBadMagic,
		Detail: fmt.Sprintf("got 0x%08x, want 0x%08x", got, want), Hint: hint}
}

// checkCount rejects counts above MaxExamples before anything is allocated.
func checkCount(count uint32, what, name string) error {
	if count <= MaxExamples {
		return nil
	}
	return &FileError{File: name, Kind: ErrTooLarge,
		Detail: fmt.Sprintf("header declares %d %s, at most %d are accepted", count, what, MaxExamples),
		Hint:   hintMNIST}
}

// readExactly reads n bytes from r. Its buffer grows with the data that
// actually arrives, so a header that lies about the size costs nothing.
// A short stream gives io.ErrUnexpectedEOF with what was read.
func readExactly(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, 64<<10))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(len(buf), n-len(buf)))
		}
		m, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			if len(buf) < n {
				return buf, io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// checkEnd makes sure r has nothing after the data; for gzip streams this
// also verifies the stream's own CRC, which gzip checks at the end.
func checkEnd(r io.Reader, name, what string) error {
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return &FileError{File: name, Kind: ErrCorrupt,
				Detail: "unexpected data after the last of " + what, Hint: hintMNIST}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return dataError(err, name, "")
		}
	}
}

// gzipError marks an error of the gzip layer, as opposed to a short IDX
// payload inside a sound gzip stream.
type gzipError struct{ err error }

func (e *gzipError) Error() string { return e.err.Error() }
func (e *gzipError) Unwrap() error { return e.err }

// gzipReader tags every failure of a gzip.Reader other than io.EOF.
type gzipReader struct{ zr *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = &gzipError{err}
	}
	return n, err
}

// openGzip starts decompressing r.
func openGzip(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	switch magic, _ := br.Peek(2); {
	case len(magic) == 0:
		return nil, &FileError{File: name, Kind: ErrNotGzip, Detail: "the file is empty", Hint: hintRedownload}
	case len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b:
		return nil, &FileError{File: name, Kind: ErrNotGzip, Detail: "it does not start with the gzip magic bytes 1f 8b",
			Hint: "if it is an uncompressed IDX file, gzip it; otherwise " + hintRedownload}
	}
	zr, err := gzip.NewReader(br)
	if err == nil {
		return gzipReader{zr}, nil
	}
	if err == io.ErrUnexpectedEOF {
		return nil, &FileError{File: name, Kind: ErrTruncated, Detail: "the gzip header is cut short", Hint: hintRedownload, Err: err}
	}
	// A damaged header (gzip.ErrHeader, bad header CRC) or a read error.
	return nil, dataError(&gzipError{err}, name, "")
}

// dataError turns a read failure into a *FileError. detail describes a
// short IDX payload (io.ErrUnexpectedEOF outside the gzip layer).
func dataError(err error, name, detail string) error {
	var ge *gzipError
	if errors.As(err, &ge) {
		err = ge.err
		switch {
		case err == io.ErrUnexpectedEOF:
			return &FileError{File: name, Kind: ErrTruncated,
				Detail: "the gzip stream ends early (unexpected EOF): the file is incomplete",
				Hint:   hintRedownload, Err: err}
		default:
			// gzip.ErrChecksum, gzip.ErrHeader of a following member,
			// flate.CorruptInputError, ...
			return &FileError{File: name, Kind: ErrCorrupt,
				Detail: "bad gzip data: " + err.Error(), Hint: hintRedownload, Err: err}
		}
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return &FileError{File: name, Kind: ErrTruncated, Detail: "IDX data ends early: " + detail,
			Hint: "the file is incomplete or not MNIST; " + hintRedownload}
	}
	return &FileError{File: name, Kind: ErrRead, Detail: err.Error(), Err: err}
}
