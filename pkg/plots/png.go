package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
)

// EncodePNG encodes img as a PNG file and returns its bytes.
func EncodePNG(img image.Image) ([]byte, error) {
	if img == nil {
		return nil, errors.New("plots: EncodePNG: nil image")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("plots: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SavePNG writes img as a PNG file at path, creating the parent directories
// as needed. The file is written atomically: to a temporary file in the same
// directory, which is then renamed to path, so readers never see a partial
// file.
func SavePNG(path string, img image.Image) (err error) {
	data, err := EncodePNG(img)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plots: SavePNG: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("plots: SavePNG: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("plots: SavePNG: writing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("plots: SavePNG: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("plots: SavePNG: closing %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("plots: SavePNG: %w", err)
	}
	return nil
}
