// Package experiment holds the pieces that turn the library into the
// article's experiment: drawing random (test image, target) pairs, summing
// up an attack in the figures the project reports, and writing the figure
// set of a headless run. Notebooks and cmd/reproduce share them, so a number
// in the docs and one in a notebook come from the same code. What only a
// notebook needs (the session, Cached, Show, Must) is in package notebook.
package experiment
