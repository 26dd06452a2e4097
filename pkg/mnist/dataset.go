package mnist

import (
	"fmt"
	"strings"
)

// Dataset is a data set in MNIST's format (four gzipped IDX files of 28×28
// grey images with labels 0..9) that Load knows: where it finds it, the
// checksums of its files and the names of its classes. The zero value is
// MNIST.
type Dataset int

const (
	// MNIST is LeCun's handwritten digits (the default), read from the
	// GoMNIST Go module.
	MNIST Dataset = iota
	// Fashion is Zalando's Fashion-MNIST: ten kinds of clothing in MNIST's
	// format, harder to classify and to defend. Load reads it from Debian's
	// dataset-fashion-mnist package (FashionDir).
	Fashion
)

// FashionDir is where Debian's dataset-fashion-mnist package (bookworm,
// main) installs Fashion-MNIST's four files; `make fashion-mnist` installs
// the package.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// FashionPackage is the Debian package that holds Fashion-MNIST, at the
// version whose files' checksums Load verifies.
const FashionPackage = "dataset-fashion-mnist (0.0~git20200523.55506a9-1)"

// datasets names each Dataset as the -data flags of the cmd/ programs take it.
var datasets = [...]string{MNIST: "mnist", Fashion: "fashion"}

// String is the data set's name for -data flags: "mnist" or "fashion".
func (d Dataset) String() string {
	if d >= 0 && int(d) < len(datasets) {
		return datasets[d]
	}
	return fmt.Sprintf("Dataset(%d)", int(d))
}

// ParseDataset reads a -data flag: "mnist" or "fashion" (also
// "fashion-mnist"), in any case.
func ParseDataset(s string) (Dataset, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mnist":
		return MNIST, nil
	case "fashion", "fashion-mnist", "fashionmnist":
		return Fashion, nil
	}
	return 0, fmt.Errorf("mnist: data set %q is not known: use mnist or fashion", s)
}

// Title is the data set's name in prose: "MNIST", "Fashion-MNIST".
func (d Dataset) Title() string {
	switch d {
	case MNIST:
		return "MNIST"
	case Fashion:
		return "Fashion-MNIST"
	}
	return d.String()
}

// ClassNames are the names of the ten classes, in label order.
func (d Dataset) ClassNames() []string {
	switch d {
	case Fashion:
		return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	default:
		return []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	}
}

func (d Dataset) validate() error {
	if d < MNIST || d > Fashion {
		return fmt.Errorf("mnist: Options.Dataset is %d: use mnist.MNIST or mnist.Fashion", int(d))
	}
	return nil
}

// fashionChecksums are the sha256 sums of the four files as Debian's
// package ships them. Debian recompressed Zalando's files, so these are not
// the sums of Zalando's downloads; the images and labels inside are the
// same (60,000 + 10,000 examples; the training pixels' mean is 0.2860 and
// their standard deviation 0.3530, the figures published with the data
// set, which a test checks).
var fashionChecksums = map[string]string{
	TrainImagesFile: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
	TrainLabelsFile: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
	TestImagesFile:  "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
	TestLabelsFile:  "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

// sums are the checksums Load verifies for the data set's files.
func (d Dataset) sums() map[string]string {
	if d == Fashion {
		return fashionChecksums
	}
	return checksums
}

// Set reads a -data flag (ParseDataset), so that a Dataset is a flag.Value:
//
//	var data mnist.Dataset
//	flag.Var(&data, "data", "the data set: mnist or fashion")
func (d *Dataset) Set(s string) error {
	v, err := ParseDataset(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Folder is the folder of a file or checkpoint made from this data set:
// dir itself for MNIST, dir with "-fashion" appended for Fashion-MNIST, so
// that the programs' default folders (checkpoints/cnn, out/) keep the two
// apart.
func (d Dataset) Folder(dir string) string {
	if d == MNIST {
		return dir
	}
	return strings.TrimRight(dir, "/") + "-" + d.String()
}
