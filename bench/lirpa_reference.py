"""auto_LiRPA 0.3 on the Go networks' weights: the interval bounds (IBP) that
package certify is cross-checked against.

It reads the export that `go run ./bench/lirpacheck -prepare` writes (each
shipped network as its list of operations, with weights in GoMLX's layouts;
the budgets; the number of images), rebuilds each network in PyTorch, wraps
it in auto_LiRPA's BoundedModule, and for the first n test images (file
order) writes to DIR/lirpa.json:

- the predicted class of each image (the rebuild must classify as the Go
  model does);
- per budget eps, the IBP bounds of the logits over the L-inf ball of radius
  eps clipped to [0, 1] (PerturbationLpNorm with x_L, x_U), and the lower
  bounds of logit(label) - logit(j) computed with the specification matrix C
  (auto_LiRPA folds C into the last linear layer, as certify does).

Layouts: GoMLX's images are NHWC and its convolution kernels
[k, k, in, out]; PyTorch's are NCHW and [out, in, k, k]. The flatten before
the first dense layer orders features (row, column, channel) in Go and
(channel, row, column) in PyTorch, so that layer's rows are permuted to match.

    .venv-lirpa/bin/python bench/lirpa_reference.py --export out/crosscheck/lirpa-export.json --out out/crosscheck
"""
import argparse
import gzip
import json
import os
import sys
import warnings

import numpy as np
import torch
import auto_LiRPA
from auto_LiRPA import BoundedModule, BoundedTensor
from auto_LiRPA.perturbations import PerturbationLpNorm

warnings.filterwarnings("ignore")


def log(message):
    print(message, file=sys.stderr, flush=True)


def read_idx(path, images):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if images:
        n = int.from_bytes(data[4:8], "big")
        return (np.frombuffer(data, np.uint8, offset=16).reshape(n, 28, 28, 1) / np.float32(255)).astype(np.float32)
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)


def rebuild(ops):
    """A torch.nn.Sequential computing the same logits as the Go network."""
    layers = []
    channels, side = 1, 28
    flattened = False
    for op in ops:
        kind = op["kind"]
        if kind == "conv":
            k, out = op["kernel"], op["size"]
            w = np.asarray(op["weights"], np.float32).reshape(op["weights_dims"])  # [k, k, in, out]
            conv = torch.nn.Conv2d(channels, out, k)
            conv.weight.data = torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))
            conv.bias.data = torch.tensor(op["biases"], dtype=torch.float32)
            layers.append(conv)
            channels, side = out, side - k + 1
        elif kind == "relu":
            layers.append(torch.nn.ReLU())
        elif kind == "maxpool":
            layers.append(torch.nn.MaxPool2d(op["size"], op["size"]))
            side //= op["size"]
        elif kind == "flatten":
            layers.append(torch.nn.Flatten())
        elif kind == "dense":
            w = np.asarray(op["weights"], np.float32).reshape(op["weights_dims"])  # [in, out]
            if not flattened:
                # Go's rows are (row, column, channel); PyTorch's (channel, row, column).
                w = w.reshape(side, side, channels, -1).transpose(2, 0, 1, 3).reshape(w.shape)
                flattened = True
            dense = torch.nn.Linear(w.shape[0], w.shape[1])
            dense.weight.data = torch.from_numpy(np.ascontiguousarray(w.T))
            dense.bias.data = torch.tensor(op["biases"], dtype=torch.float32)
            layers.append(dense)
        else:
            raise SystemExit(f"lirpa_reference.py: operation {kind!r} is not known here: add it to rebuild()")
    return torch.nn.Sequential(*layers).eval()


def bound(net, x, labels, epsilons, batch):
    model = BoundedModule(net, torch.empty_like(x[:1]), device="cpu")
    eye = torch.eye(10)
    results = []
    for eps in epsilons:
        lower, upper, margins = [], [], []
        for start in range(0, len(x), batch):
            xb, yb = x[start:start + batch], labels[start:start + batch]
            ptb = PerturbationLpNorm(norm=np.inf, eps=eps, x_L=(xb - eps).clamp(0, 1), x_U=(xb + eps).clamp(0, 1))
            bx = BoundedTensor(xb, ptb)
            lo, hi = model.compute_bounds(x=(bx,), method="IBP")
            c = eye[yb].unsqueeze(1) - eye.unsqueeze(0)  # [B, 10, 10]: row j is e_label - e_j.
            m, _ = model.compute_bounds(x=(bx,), method="IBP", C=c)
            lower.append(lo.detach())
            upper.append(hi.detach())
            margins.append(m.detach())
        results.append({"epsilon": eps, "lower": torch.cat(lower).flatten().tolist(),
                        "upper": torch.cat(upper).flatten().tolist(), "margins": torch.cat(margins).flatten().tolist()})
        log(f"  eps {eps}: done")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    with open(args.export) as f:
        export = json.load(f)
    n = export["n"]
    torch.set_grad_enabled(False)
    x = read_idx(os.path.join(export["mnist_dir"], "t10k-images-idx3-ubyte.gz"), True)[:n]
    labels = torch.from_numpy(read_idx(os.path.join(export["mnist_dir"], "t10k-labels-idx1-ubyte.gz"), False)[:n].copy())
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW
    out = {"versions": {"auto_LiRPA": auto_LiRPA.__version__, "torch": torch.__version__}, "models": []}
    for m in export["models"]:
        log(f"lirpa_reference.py: {m['name']}")
        net = rebuild(m["ops"])
        predictions = net(x).argmax(1).tolist()
        out["models"].append({"name": m["name"], "predictions": predictions,
                              "bounds": bound(net, x, labels, export["epsilons"], args.batch)})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "lirpa.json"), "w") as f:
        json.dump(out, f)
    print(json.dumps({"versions": out["versions"], "models": [m["name"] for m in out["models"]], "n_images": n}))


if __name__ == "__main__":
    main()
