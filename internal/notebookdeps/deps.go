// Package notebookdeps keeps in go.mod the modules that notebook cells may
// import directly but the library does not, so that `go mod tidy` cannot
// drop them. A notebook's imports resolve through the Go workspace that its
// setup cell creates: an import outside go.mod's requirements would make
// GoNB look the module up on the network (`go get`), which a pinned, offline
// setup must never need. tests/test_notebooks.py checks every notebook
// import against go.mod. The committed notebooks no longer import
// janpfeifer/must (notebook.Check and Show end a cell on an error); it
// stays, pinned, for the cells users write, as the project's stack promises.
package notebookdeps

import (
	_ "github.com/janpfeifer/must"
)
