// Package notebook is what a GoNB notebook's cells call, so that each reads
// in one glance:
//
//   - Session gives a cell MNIST, the trained model and the engine in one
//     call each, loading a checkpoint or training once (NewSession for the
//     article's network, NewRobustSession for the robust one, Session.Fit
//     for a model of your own).
//   - Cached keeps a result that costs more than a load for the other cells
//     of the kernel session (GoNB runs every cell as a program of its own).
//   - Show displays a figure function's (image, error) pair; Check and Must
//     end the cell with a one-line error instead of a panic; Fail is what
//     they call, and tests replace it.
//   - Session.Explore is the live view of the model's boundaries (a digit,
//     a target, an attack and an ε slider).
//   - With ADVML_SMALL set (SmallEnv: the tests' runs), Session.TestImages
//     returns at most SmallDigits images and Small its small value, so a
//     notebook's every cell runs in seconds; make notebooks leaves it unset.
//
// A notebook's setup cell declares them once:
//
//	var (
//		session = notebook.NewSession("../checkpoints/cnn", false)
//		show    = notebook.Show
//	)
//
// The article's experiment pieces (random pairs, figures of an attack,
// summaries) are in package experiment; the notebooks and the headless
// programs in cmd/ share those.
package notebook
