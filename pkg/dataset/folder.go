package dataset

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/advmlgo/advml/pkg/classifier"
)

// maxImagePixels bounds one PNG's declared size before it is decoded: a
// small file can declare a huge image.
const maxImagePixels = 1 << 24

// ReadFolder reads torchvision's ImageFolder layout: dir holds one
// subfolder per class, named for it, each holding that class's images as
// PNG files. Classes are numbered in the subfolders' sorted order (as
// torchvision numbers them), except that folders all named by numbers
// (0, 1, 2, …) are those classes; images are read in sorted order within
// each folder.
// Grey images have one channel; when any image has colour, all have
// three (red, green, blue; alpha is dropped, as PIL's convert("RGB")
// does). Options.Geometry, when set, fixes the size, the channels and the
// class count. Hidden files and folders (a leading dot) are skipped;
// anything else that is not a PNG is an error naming it.
func ReadFolder(dir string, opts Options) (*Set, error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var names []string
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			names = append(names, e.Name())
		default:
			return nil, fmt.Errorf("dataset: %s is a file beside the class folders: %s holds one folder of images per class only", filepath.Join(dir, e.Name()), dir)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("dataset: %s holds no class folder: put each class's PNG files in a folder named for it", dir)
	}
	if c := opts.Geometry.Classes; c > 0 && len(names) > c {
		return nil, fmt.Errorf("dataset: %s holds %d class folders, the model has %d classes", dir, len(names), c)
	}
	classOf, classNames := folderClasses(names)
	type picture struct {
		values   []float32 // rows·cols·3, or rows·cols when grey.
		gray     bool
		path     string
		class    int
		rows     int
		cols     int
		channels int
	}
	var pics []picture
	total := 0
	for f, name := range names {
		class := classOf[f]
		sub := filepath.Join(dir, name)
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		count := 0
		for _, f := range files {
			path := filepath.Join(sub, f.Name())
			switch {
			case strings.HasPrefix(f.Name(), "."):
				continue
			case f.IsDir():
				return nil, fmt.Errorf("dataset: %s is a folder inside a class folder: a class folder holds PNG files only", path)
			case !strings.EqualFold(filepath.Ext(f.Name()), ".png"):
				return nil, fmt.Errorf("dataset: %s is not a .png file: convert it to PNG or move it out of %s", path, dir)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("dataset: %w", err)
			}
			values, rows, cols, gray, err := decodePNG(data)
			if err != nil {
				return nil, fmt.Errorf("dataset: %s: %w", path, err)
			}
			if total += len(values); total > MaxValues {
				return nil, fmt.Errorf("dataset: %s holds more than %d values: evaluate on a part of it", dir, MaxValues)
			}
			if len(pics) > 0 && (rows != pics[0].rows || cols != pics[0].cols) {
				return nil, fmt.Errorf("dataset: %s is %d×%d pixels, %s is %d×%d: resize the images to one size", path, rows, cols, pics[0].path, pics[0].rows, pics[0].cols)
			}
			pics = append(pics, picture{values: values, gray: gray, path: path, class: class, rows: rows, cols: cols})
			count++
		}
		if count == 0 {
			return nil, fmt.Errorf("dataset: class folder %s holds no PNG file", sub)
		}
	}
	g := classifier.Geometry{Rows: pics[0].rows, Cols: pics[0].cols, Channels: 1}
	for _, p := range pics {
		if !p.gray {
			g.Channels = 3
			break
		}
	}
	if w := opts.Geometry; w.Rows > 0 {
		if g.Rows != w.Rows || g.Cols != w.Cols {
			return nil, fmt.Errorf("dataset: %s: images of %d×%d pixels, the model takes %d×%d: resize them to the model's input", dir, g.Rows, g.Cols, w.Rows, w.Cols)
		}
		if w.Channels == 1 && g.Channels == 3 {
			for _, p := range pics {
				if !p.gray {
					return nil, fmt.Errorf("dataset: %s has colour, the model takes grey images (1 channel): convert the images to grey", p.path)
				}
			}
		}
		if w.Channels != 1 && w.Channels != 3 {
			return nil, fmt.Errorf("dataset: %s: the model takes %d channels; PNG images give 1 (grey) or 3 (colour)", dir, w.Channels)
		}
		g.Channels = w.Channels
	}
	s := &Set{Geometry: g, Source: dir}
	s.Images = make([]float32, 0, len(pics)*g.Pixels())
	for _, p := range pics {
		v := p.values
		if p.gray && g.Channels == 3 {
			v = grayToRGB(v)
		}
		s.Images = append(s.Images, v...)
		s.Labels = append(s.Labels, p.class)
	}
	if err := finish(s, opts, classNames, "dataset: "+dir); err != nil {
		return nil, err
	}
	return s, nil
}

// folderClasses numbers the class folders. Folders named by the numbers
// 0, 1, 2, … (every name a number written plainly) are those classes, so
// that a folder missing from a split, or "10" sorting before "2", cannot
// shift the labels; any other names are numbered in sorted order, as
// torchvision's ImageFolder numbers them.
func folderClasses(names []string) (classOf []int, classNames []string) {
	most := -1
	for _, name := range names {
		n, err := strconv.Atoi(name)
		if err != nil || n < 0 || n >= 1<<16 || strconv.Itoa(n) != name {
			most = -1
			break
		}
		classOf = append(classOf, n)
		most = max(most, n)
	}
	if most < 0 {
		classOf = make([]int, len(names))
		for i := range names {
			classOf[i] = i
		}
		return classOf, names
	}
	for c := range most + 1 {
		classNames = append(classNames, strconv.Itoa(c))
	}
	return classOf, classNames
}

// decodePNG decodes one PNG into values in [0, 1]: one per pixel when the
// image is grey, three (RGB) otherwise. Its declared size is checked
// before anything is decoded.
func decodePNG(data []byte) (values []float32, rows, cols int, gray bool, err error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("not a PNG image (%s)", oneLine(err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImagePixels/max(cfg.Height, 1) {
		return nil, 0, 0, false, fmt.Errorf("declares %d×%d pixels: at most %d pixels an image", cfg.Width, cfg.Height, maxImagePixels)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("not a PNG image (%s)", oneLine(err))
	}
	b := img.Bounds()
	rows, cols = b.Dy(), b.Dx()
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model:
		gray = true
	}
	if p, ok := img.(*image.Paletted); ok {
		gray = true
		for _, c := range p.Palette {
			r, g, b, _ := c.RGBA()
			gray = gray && r == g && g == b
		}
	}
	if gray {
		values = make([]float32, 0, rows*cols)
	} else {
		values = make([]float32, 0, 3*rows*cols)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := straight(img, x, y)
			if gray {
				values = append(values, float32(c.R)/65535)
			} else {
				values = append(values, float32(c.R)/65535, float32(c.G)/65535, float32(c.B)/65535)
			}
		}
	}
	return values, rows, cols, gray, nil
}

// straight returns the colour at (x, y) without alpha premultiplied: for
// images stored that way (PNG's RGBA), read as stored, since going
// through premultiplied values would round the colour of a
// half-transparent pixel.
func straight(img image.Image, x, y int) color.NRGBA64 {
	switch m := img.(type) {
	case *image.NRGBA:
		c := m.NRGBAAt(x, y)
		return color.NRGBA64{R: uint16(c.R) * 257, G: uint16(c.G) * 257, B: uint16(c.B) * 257, A: uint16(c.A) * 257}
	case *image.NRGBA64:
		return m.NRGBA64At(x, y)
	}
	return color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
}
