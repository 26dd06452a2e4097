package notebook

import "os"

// SmallEnv names the environment variable that asks the notebooks for a
// small run: when it is set (to anything but the empty string), every
// Session.TestImages call returns at most SmallDigits images, and Small
// returns its small value. The tests set it (tests/nbrun.py, tests/labrun.py),
// so that executing a notebook checks that every cell runs and shows what it
// should, in minutes; make notebooks and make reproduce leave it unset, and
// the committed outputs are the full runs.
const SmallEnv = "ADVML_SMALL"

// SmallDigits is how many test images Session.TestImages returns, at most,
// when SmallEnv is set: one batch that attacks never compact.
const SmallDigits = 8

// IsSmall reports whether SmallEnv is set.
func IsSmall() bool { return os.Getenv(SmallEnv) != "" }

// Small returns small when SmallEnv is set and full otherwise: a cell's size
// that is not a number of test images (digits per class, steps).
func Small(full, small int) int {
	if IsSmall() {
		return small
	}
	return full
}
