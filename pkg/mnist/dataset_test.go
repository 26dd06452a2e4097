package mnist_test

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advmlgo/advml/pkg/mnist"
)

// Fashion-MNIST loads from Debian's package with its files verified, and
// its training pixels have the mean and standard deviation published with
// the data set (0.2860, 0.3530), so the files hold Zalando's images.
func TestLoadFashion(t *testing.T) {
	data, err := mnist.Load(mnist.Options{Dataset: mnist.Fashion, ValidationSize: mnist.NoValidation})
	if err != nil {
		t.Fatalf("%v (make fashion-mnist installs it)", err)
	}
	if data.Train.Len() != 60000 || data.Test.Len() != 10000 || data.Dataset != mnist.Fashion || data.Source != mnist.FashionDir {
		t.Fatalf("%d training and %d test images from %s (%v)", data.Train.Len(), data.Test.Len(), data.Source, data.Dataset)
	}
	var sum, sq float64
	for _, v := range data.Train.Images {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(data.Train.Images))
	mean := sum / n
	std := math.Sqrt(sq/n - mean*mean)
	if math.Abs(mean-0.2860) > 5e-5 || math.Abs(std-0.3530) > 5e-5 {
		t.Errorf("training pixels: mean %.4f, std %.4f; Fashion-MNIST's are 0.2860 and 0.3530", mean, std)
	}
	counts := make([]int, 10)
	for _, l := range data.Test.Labels {
		counts[l]++
	}
	for c, k := range counts {
		if k != 1000 {
			t.Errorf("class %d (%s): %d test images, want 1,000", c, mnist.Fashion.ClassNames()[c], k)
		}
	}
	// The MNIST files under Fashion's name fail the checksum, and Fashion's
	// files under MNIST's.
	if _, err := mnist.Load(mnist.Options{Dir: mnist.FashionDir}); !errors.Is(err, mnist.ErrChecksum) {
		t.Errorf("Fashion-MNIST's files read as MNIST: %v, want a checksum error", err)
	}
}

func TestDatasetNamesAndErrors(t *testing.T) {
	for _, s := range []string{"mnist", "Fashion", "fashion-mnist"} {
		d, err := mnist.ParseDataset(s)
		if err != nil {
			t.Errorf("ParseDataset(%q): %v", s, err)
		}
		if back, _ := mnist.ParseDataset(d.String()); back != d {
			t.Errorf("%q → %v → %v", s, d, back)
		}
	}
	if _, err := mnist.ParseDataset("cifar10"); err == nil || !strings.Contains(err.Error(), `"cifar10"`) {
		t.Errorf("cifar10: %v, want an error naming it", err)
	}
	var flagged mnist.Dataset
	if err := flagged.Set("fashion"); err != nil || flagged != mnist.Fashion || flagged.Set("svhn") == nil {
		t.Errorf("Set: %v, %v", flagged, err)
	}
	if mnist.Fashion.Folder("checkpoints/cnn/") != "checkpoints/cnn-fashion" || mnist.MNIST.Folder("checkpoints/cnn") != "checkpoints/cnn" {
		t.Errorf("Folder: %q, %q", mnist.Fashion.Folder("checkpoints/cnn/"), mnist.MNIST.Folder("checkpoints/cnn"))
	}
	if names := mnist.Fashion.ClassNames(); len(names) != 10 || names[9] != "Ankle boot" || mnist.MNIST.ClassNames()[7] != "7" {
		t.Errorf("class names %v", names)
	}
	if _, err := mnist.Load(mnist.Options{Dataset: mnist.Fashion, Download: true, Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "MNIST only") {
		t.Errorf("downloading Fashion-MNIST: %v", err)
	}
	if _, err := mnist.Load(mnist.Options{Dataset: 7}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("Dataset 7: %v", err)
	}
	// A folder without the files names the package that holds them.
	empty := t.TempDir()
	if _, err := mnist.Load(mnist.Options{Dataset: mnist.Fashion, Dir: empty}); err == nil || !strings.Contains(err.Error(), filepath.Join(empty, mnist.TrainImagesFile)) {
		t.Errorf("an empty folder: %v", err)
	}
}
