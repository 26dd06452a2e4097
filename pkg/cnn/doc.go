// Package cnn is the article's target model: a deliberately simple, very
// linear convolutional network for MNIST.
//
//	Conv2D(Filters, Kernel×Kernel, no padding) → MaxPool(Pool×Pool) → Flatten → Dense(10)
//
// There are no activation functions: the max-pool is the only non-linearity.
// Logits come out of the dense layer; Predict applies the softmax.
//
// Config holds the three sizes, Default the configuration this project
// measured to be the most accurate within the article's budget of about ten
// thousand trainable parameters (see Default). Model ties a Config to its
// weights (a GoMLX model.Store) and to the engine that runs it; it predicts,
// summarises itself like Keras' model.summary(), and saves and loads GoMLX
// checkpoints so notebooks and attacks reuse a trained model.
//
// The same Config describes the deeper networks the project trains to
// resist attacks (Robust: a second convolution and a hidden layer) and three
// networks of the literature (SmallCNN, Madry, LeNetSmall; see Arch), whose
// convolutions may pad and stride (Op); LeNetSmall also comes wider
// (LeNetSmallWide, or any widths in Filters, Filters2 and Hidden). Config.Input
// takes any other images, square or not, grey or colour, and any number of
// classes; its zero value is MNIST's 28×28 grey digits in 10 classes.
package cnn
