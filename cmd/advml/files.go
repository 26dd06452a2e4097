package main

import (
	"flag"
	"fmt"
	"path/filepath"

	"github.com/advmlgo/advml/pkg/dataset"
)

// files are the flags that name images of the user's own: a pair of .npy
// files, or a folder of one folder of PNG files per class. Their names
// start with prefix: "" for eval's images and finetune's training images,
// "test-" for finetune's test images.
type files struct {
	prefix                 string
	images, labels, folder string
}

// register defines -<prefix>images, -<prefix>labels and -<prefix>folder on
// fs, what saying what the images are for.
func (f *files) register(fs *flag.FlagSet, prefix, what string) {
	f.prefix = prefix
	fs.StringVar(&f.images, prefix+"images", "", what+" as a .npy file: uint8 0..255 or float in [0, 1], [n, rows, cols(, channels)] or [n, channels, rows, cols]")
	fs.StringVar(&f.labels, prefix+"labels", "", "the labels of -"+prefix+"images as a .npy file: integers [n] (or one-hot [n, classes])")
	fs.StringVar(&f.folder, prefix+"folder", "", what+" as a folder of one folder of PNG files per class (torchvision's ImageFolder), instead of -"+prefix+"images and -"+prefix+"labels")
}

// given tells whether any of the flags is set.
func (f files) given() bool { return f.images != "" || f.labels != "" || f.folder != "" }

// check says in one line what is missing or too much among the flags.
func (f files) check() error {
	p := f.prefix
	switch {
	case f.images != "" && f.labels == "":
		return fmt.Errorf("-%simages %s has no -%slabels: give the labels' .npy file", p, f.images, p)
	case f.labels != "" && f.images == "":
		return fmt.Errorf("-%slabels %s has no -%simages: give the images' .npy file", p, f.labels, p)
	case f.images != "" && f.folder != "":
		return fmt.Errorf("-%simages %s and -%sfolder %s: give one source of images, the .npy pair or the folder", p, f.images, p, f.folder)
	}
	return nil
}

// read reads the images, checked against opts (a model's geometry), and
// names where they came from.
func (f files) read(opts dataset.Options) (*dataset.Set, string, error) {
	if f.images != "" {
		set, err := dataset.ReadNPY(f.images, f.labels, opts)
		return set, filepath.Base(f.images), err
	}
	set, err := dataset.ReadFolder(f.folder, opts)
	return set, filepath.Base(filepath.Clean(f.folder)), err
}
