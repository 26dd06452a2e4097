package plots

import (
	"errors"
	"fmt"
	"image"

	"github.com/janpfeifer/gonb/gonbui"
)

// ErrNotNotebook is returned by [Show] when the program is not running inside
// a GoNB notebook, so nothing was displayed. Use [SavePNG] instead.
var ErrNotNotebook = errors.New("plots: not running in a GoNB notebook: nothing displayed (use SavePNG to write the image to a file)")

// Show displays img inline in the output of the current GoNB notebook cell.
// The image is embedded as PNG bytes in the cell output; nothing is linked or
// loaded from the network. Show returns once GoNB has taken the image
// (gonbui.Sync): a cell's program that displays a figure and exits at once
// could otherwise end before the figure reached the notebook, which
// happened under load (a test counted 7 of the tutorial's 8 figures).
//
// Outside a GoNB notebook (e.g. in a command-line program) it displays nothing
// and returns [ErrNotNotebook].
func Show(img image.Image) error {
	if !gonbui.IsNotebook {
		return ErrNotNotebook
	}
	data, err := EncodePNG(img)
	if err != nil {
		return err
	}
	gonbui.DisplayPng(data)
	if err := gonbui.Error(); err != nil {
		return fmt.Errorf("plots: displaying in GoNB: %w", err)
	}
	gonbui.Sync()
	return nil
}
