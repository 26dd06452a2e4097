// Package notebookdeps keeps in go.mod the modules that the notebooks import
// directly but the library does not, so that `go mod tidy` cannot drop
// them. A notebook's imports resolve through the Go workspace that its setup
// cell creates: an import outside go.mod's requirements would make GoNB look
// the module up on the network (`go get`), which a pinned, offline setup
// must never need. tests/test_notebooks.py checks every notebook import
// against go.mod.
package notebookdeps

import (
	_ "github.com/janpfeifer/must"
)
