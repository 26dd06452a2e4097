package mnist_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/advmlgo/advml/pkg/mnist"
)

// Load with no options reads MNIST from the GoMNIST module and sets 6,000
// training examples aside for validation.
func ExampleLoad() {
	data, err := mnist.Load(mnist.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("train:", data.Train.Len())
	fmt.Println("validation:", data.Validation.Len())
	fmt.Println("test:", data.Test.Len())
	fmt.Println("pixels per image:", len(data.Test.Image(0)))
	fmt.Println("first test label:", data.Test.Labels[0])
	// Output:
	// train: 54000
	// validation: 6000
	// test: 10000
	// pixels per image: 784
	// first test label: 7
}

// Options choose the validation set: its size and the seed that picks it.
func ExampleLoad_options() {
	data, err := mnist.Load(mnist.Options{ValidationSize: 10000, Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(data.Train.Len(), data.Validation.Len())

	data, err = mnist.Load(mnist.Options{ValidationSize: mnist.NoValidation})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(data.Train.Len(), data.Validation.Len())
	// Output:
	// 50000 10000
	// 60000 0
}

// Image returns one example's pixels, row after row.
func ExampleSplit_Image() {
	data, err := mnist.Load(mnist.Options{})
	if err != nil {
		log.Fatal(err)
	}
	img := data.Test.Image(0)
	for r := 7; r < 27; r++ { // the rows and columns with ink
		var line strings.Builder
		for c := 6; c < 23; c++ {
			switch v := img[r*mnist.Cols+c]; {
			case v > 0.5:
				line.WriteByte('#')
			case v > 0:
				line.WriteByte('+')
			default:
				line.WriteByte('.')
			}
		}
		fmt.Println(line.String())
	}
	fmt.Println("label:", data.Test.Labels[0])
	// Output:
	// +###++...........
	// ###############+.
	// ++++############.
	// .....++++++++##+.
	// ............+##+.
	// ...........+##+..
	// ...........###+..
	// ..........+##+...
	// ..........###+...
	// .........+##+....
	// .........+##.....
	// ........+##+.....
	// .......+###......
	// ......+###+......
	// ......+##+.......
	// .....+##++.......
	// .....###+........
	// ....+###+........
	// ....+###+........
	// ....+##+.........
	// label: 7
}

// Subset copies chosen examples into a new split, e.g. a small batch.
func ExampleSplit_Subset() {
	s := &mnist.Split{
		Images: make([]float32, 3*mnist.Pixels),
		Labels: []int{3, 1, 4},
	}
	s.Image(2)[0] = 1 // Image is a view: this writes into s.Images.
	batch := s.Subset([]int{2, 0})
	fmt.Println(batch.Len(), batch.Labels, batch.Image(0)[0])
	// Output:
	// 2 [4 3] 1
}

// ReadLabels reads any gzipped IDX1 labels file; here one made on the spot.
func ExampleReadLabels() {
	var file bytes.Buffer
	zw := gzip.NewWriter(&file)
	zw.Write([]byte{0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4}) // magic, count 3, labels
	zw.Close()

	labels, err := mnist.ReadLabels(&file, "my-labels.gz")
	fmt.Println(labels, err)

	_, err = mnist.ReadLabels(strings.NewReader("not gzip"), "my-labels.gz")
	fmt.Println(err)
	// Output:
	// [5 0 4] <nil>
	// mnist: my-labels.gz: not a gzip file: it does not start with the gzip magic bytes 1f 8b (if it is an uncompressed IDX file, gzip it; otherwise delete the file and download it again, e.g. with mnist.Download or Options.Download)
}

// Errors name the file and the problem; errors.Is tells the kind apart.
func ExampleFileError() {
	dir, err := os.MkdirTemp("", "mnist-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	_, err = mnist.Load(mnist.Options{Dir: dir})
	fmt.Println(errors.Is(err, mnist.ErrMissing), errors.Is(err, mnist.ErrChecksum))
	var fe *mnist.FileError
	if errors.As(err, &fe) {
		fmt.Printf("%s: %v\n", filepath.Base(fe.File), fe.Kind)
	}
	// Output:
	// true false
	// train-images-idx3-ubyte.gz: file missing
}
