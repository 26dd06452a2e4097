// Package training fits a classifier (the article's CNN of package cnn, or
// any classifier.Model) to MNIST the way the article's Keras code does: Adam
// on shuffled mini-batches, the validation set evaluated after every epoch,
// and early stopping on the validation loss with patience, optionally
// restoring the best epoch's weights (or, given no validation set, every
// epoch run and the last kept, on all the training images). Options
// expresses Keras' settings, and DefaultOptions holds the project's.
//
// It stands on GoMLX's own machinery: train.Trainer and train.Loop for the
// steps, an on-device dataset.InMemoryDataset for batching and shuffling,
// and the command-line/GoNB progress bar of gomlx/ui/commandline. Train
// returns a History, one EpochMetrics per epoch, ready to plot.
package training
