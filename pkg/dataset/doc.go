// Package dataset holds the project's one idea of a data set, Set:
// labelled images in memory with their geometry, class names and source,
// in the form every attack, evaluation, figure and training of this
// project takes: flat float32 values in [0, 1], image after image, each
// [rows, cols, channels] (NHWC), and one class per image. MNIST's and
// Fashion-MNIST's splits are Sets (mnist.Split is this type, mnist.Load
// fills them), and so are the user's own files, which this package reads.
//
// Two sources are read:
//
//   - ReadNPY: an images file and a labels file written by NumPy
//     (numpy.save). Images are uint8 (0..255, divided by 255) or float
//     (already in [0, 1]), shaped [n, rows, cols], [n, rows, cols,
//     channels] (NHWC, Keras) or [n, channels, rows, cols] (NCHW,
//     PyTorch); labels are integers, shaped [n].
//   - ReadFolder: a folder with one subfolder of PNG files per class,
//     torchvision's ImageFolder layout. Classes are the subfolders in
//     sorted order, as torchvision numbers them; folders named 0, 1, 2, …
//     are those classes, so that a class missing from the folder shifts
//     no label.
//
// A file may come from anyone, so the readers trust nothing in it: a
// header is checked before anything is allocated from it, the data must
// fill exactly the shape it declares, object (pickled) arrays are refused
// without being read, and every problem is one line naming the file and
// what is wrong, never a panic. The .npy header and data are decoded by
// github.com/sbinet/npyio.
//
// WriteNPY writes a Set back as two .npy files, for NumPy, or for
// `advml eval`.
package dataset
