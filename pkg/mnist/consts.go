package mnist

import "github.com/advmlgo/advml/pkg/classifier"

// Geometry is MNIST's image geometry and classes, as models and attacks
// take them: 28×28 grey pixels in [0, 1], 10 classes.
var Geometry = classifier.Geometry{Rows: Rows, Cols: Cols, Channels: 1, Classes: NumClasses}

// Image geometry and classes of MNIST.
const (
	// Rows is the height of an image in pixels.
	Rows = 28
	// Cols is the width of an image in pixels.
	Cols = 28
	// Pixels is the number of values of one image: Rows*Cols.
	Pixels = Rows * Cols
	// NumClasses is the number of labels: the digits 0 to 9.
	NumClasses = 10
)

// Sizes of the canonical files and of the default validation set.
const (
	// TrainSize is the number of examples in the MNIST training files.
	TrainSize = 60000
	// TestSize is the number of examples in the MNIST test files.
	TestSize = 10000
	// DefaultValidationSize is the number of training examples set aside
	// for validation when Options.ValidationSize is zero.
	DefaultValidationSize = 6000
	// NoValidation, as Options.ValidationSize (any negative value does),
	// keeps all 60,000 training examples in Train and leaves Validation
	// empty.
	NoValidation = -1
	// MaxExamples is the largest example count the readers accept in a
	// file header; larger counts are rejected before anything is
	// allocated. It leaves room for MNIST-like sets bigger than MNIST.
	MaxExamples = 1 << 18
)

// Names of the four MNIST files, as published and as looked up in a folder.
const (
	// TrainImagesFile holds the 60,000 training images.
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	// TrainLabelsFile holds the 60,000 training labels.
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	// TestImagesFile holds the 10,000 test images.
	TestImagesFile = "t10k-images-idx3-ubyte.gz"
	// TestLabelsFile holds the 10,000 test labels.
	TestLabelsFile = "t10k-labels-idx1-ubyte.gz"
)

// allFiles lists the four MNIST files in download order.
var allFiles = [4]string{TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile}

// checksums holds the canonical sha256 sums of the four files, in hex.
var checksums = map[string]string{
	TrainImagesFile: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
	TrainLabelsFile: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
	TestImagesFile:  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
	TestLabelsFile:  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

// SHA256 returns the canonical sha256 sum, in lower-case hex, of the MNIST
// file with the given base name (TrainImagesFile, ...), and false for any other
// name.
func SHA256(name string) (string, bool) {
	sum, ok := checksums[name]
	return sum, ok
}
