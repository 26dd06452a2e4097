package attack

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/advmlgo/advml/pkg/classifier"
)

// Graph pieces shared by the gradient attacks. Per-image values are [B];
// images are [B, rows, cols, channels].

// lossGradient builds m's logits on x and the gradient, with respect to x,
// of a loss of the logits summed over the batch. loss returns one value per
// image, returned too. The gradient goes through the model's own
// vector-Jacobian product when it has one (classifier.FastGradients).
func lossGradient(scope *model.Scope, m classifier.Differentiable, x *graph.Node, loss func(logits *graph.Node) *graph.Node) (logits, value, grad *graph.Node) {
	logits, vjp := classifier.LogitsWithVJP(scope, m, x)
	value = loss(logits)
	return logits, value, vjp(graph.Gradient(graph.ReduceAllSum(value), logits)[0])
}

// tiny keeps divisions by a norm defined when the norm is zero.
const tiny = 1e-12

// isAdversarial is the criterion in the graph: the argmax of logits equals
// classes (targeted) or differs from them (untargeted). [B] bool.
func isAdversarial(logits, classes *graph.Node, targeted bool) *graph.Node {
	predicted := graph.ConvertDType(graph.ArgMax(logits, -1), classes.DType())
	if targeted {
		return graph.Equal(predicted, classes)
	}
	return graph.NotEqual(predicted, classes)
}

// logitOf is, per image, the logit of its class. [B].
func logitOf(logits, classes *graph.Node) *graph.Node {
	return graph.ReduceSum(graph.Mul(graph.OneHot(classes, logits.Shape().Dimensions[1], logits.DType()), logits), -1)
}

// largestOther is, per image, the largest logit of a class other than its
// class. [B].
func largestOther(logits, classes *graph.Node) *graph.Node {
	isClass := graph.ConvertDType(graph.OneHot(classes, logits.Shape().Dimensions[1], logits.DType()), dtypes.Bool)
	return graph.ReduceMax(graph.Where(isClass, graph.Infinity(logits.Graph(), logits.DType(), -1), logits), -1)
}

// crossEntropy is −log softmax(logits)[class] per image: Foolbox's and
// torchattacks' loss. [B].
func crossEntropy(logits, classes *graph.Node) *graph.Node {
	return classifier.CrossEntropy(logits, classes)
}

// perImage reduces x over every axis but the first, keeping them (for
// broadcasting back onto images).
func perImage(x *graph.Node, reduce func(*graph.Node, ...int) *graph.Node) *graph.Node {
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return graph.ReduceAndKeep(x, reduce, axes...)
}

// norm is the per-image norm d of x, kept [B, 1, 1, 1] (d is L1, L2 or L∞).
func norm(x *graph.Node, d Distance) *graph.Node {
	switch d {
	case L1:
		return perImage(graph.Abs(x), graph.ReduceSum)
	case L2:
		return graph.Sqrt(perImage(graph.Square(x), graph.ReduceSum))
	default:
		return perImage(graph.Abs(x), graph.ReduceMax)
	}
}

// atLeast is max(x, floor) elementwise.
func atLeast(x *graph.Node, floor float64) *graph.Node {
	return graph.Max(x, graph.Scalar(x.Graph(), x.DType(), floor))
}

// normalize turns a gradient into a step direction of unit size in d:
// sign(g) for L∞ (a zero gradient stays zero), g/‖g‖ for L1 and L2.
func normalize(g *graph.Node, d Distance) *graph.Node {
	if d == Linf {
		return graph.Sign(g)
	}
	return graph.Div(g, atLeast(norm(g, d), tiny))
}

// perImageScalar reshapes a [B] value to [B, 1, 1, 1] to scale images.
func perImageScalar(v, like *graph.Node) *graph.Node {
	dims := make([]int, like.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = -1
	return graph.Reshape(graph.ConvertDType(v, like.DType()), dims...)
}

// project brings x back within eps ([B], or a scalar for every image) of
// x0 in d, then into [0, 1]: Foolbox's projection, clipping for L∞ (into
// the box [x0 − ε, x0 + ε] ∩ [0, 1]) and shrinking for L1 and L2.
func project(x, x0, eps *graph.Node, d Distance) *graph.Node {
	e := perImageScalar(eps, x)
	if d == Linf {
		lower := graph.ClipScalar(graph.Sub(x0, e), 0, 1)
		upper := graph.ClipScalar(graph.Add(x0, e), 0, 1)
		return graph.Min(graph.Max(x, lower), upper)
	}
	delta := graph.Sub(x, x0)
	delta = graph.Mul(delta, graph.Min(graph.OnesLike(e), graph.Div(e, atLeast(norm(delta, d), tiny))))
	return graph.ClipScalar(graph.Add(x0, delta), 0, 1)
}

// Step is one projected gradient step inside a graph, the one that PGD,
// BIM and FGM take and that adversarial training (training.PGDTraining,
// TRADES) takes inside its training step: x moves by stepSize along grad
// normalised in d (its sign in L∞, grad/‖grad‖ in L1 and L2), then goes
// back within eps of x0 and into [0, 1]. grad is the gradient of the loss
// to increase; eps and stepSize are [B] or scalars.
func Step(x, x0, grad, eps, stepSize *graph.Node, d Distance) *graph.Node {
	return project(graph.Add(x, graph.Mul(perImageScalar(stepSize, x), normalize(grad, d))), x0, eps, d)
}

// UniformStart is PGD's random start in L∞ inside a graph: x0 plus noise
// uniform in [−eps, eps) per pixel, then into [0, 1]. uniform holds
// values uniform in [0, 1), of x0's shape; eps is [B] or a scalar.
func UniformStart(x0, uniform, eps *graph.Node) *graph.Node {
	noise := graph.Mul(graph.AddScalar(graph.MulScalar(uniform, 2), -1), perImageScalar(eps, x0))
	return project(graph.Add(x0, noise), x0, eps, Linf)
}

// Project is project for callers outside the package: x back within eps of
// x0 in d, and into [0, 1].
func Project(x, x0, eps *graph.Node, d Distance) *graph.Node { return project(x, x0, eps, d) }

// selectImages returns, per image, ifTrue where mask ([B] bool) holds and
// ifFalse elsewhere. ifTrue and ifFalse are [B, ...] of any rank.
func selectImages(mask, ifTrue, ifFalse *graph.Node) *graph.Node {
	dims := make([]int, ifTrue.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = -1
	return graph.Where(graph.BroadcastToDims(graph.Reshape(mask, dims...), ifTrue.Shape().Dimensions...), ifTrue, ifFalse)
}
