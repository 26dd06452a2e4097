"""The PyTorch references on the Go networks' weights (torch 1.12.1): the
interval bounds of auto_LiRPA 0.3, which package certify is cross-checked
against, and torchattacks 3.5.1's AutoAttack, which robustness.AutoAttack is.

It reads the export that `go run ./bench/torchcheck -prepare` writes (each
shipped network as its list of operations, with weights in GoMLX's layouts;
the bounds' budgets and number of images; AutoAttack's model, images, budget
and seed), rebuilds each network in PyTorch, and writes to
DIR/torch-reference.json:

- the predicted class of each of the first n test images (file order): the
  rebuild must classify as the Go model does;
- per budget eps, auto_LiRPA's IBP bounds of the logits over the L-inf ball
  of radius eps clipped to [0, 1] (PerturbationLpNorm with x_L, x_U), and the
  lower bounds of logit(label) - logit(j) computed with the specification
  matrix C (auto_LiRPA folds C into the last linear layer, as certify does);
- AutoAttack on the first autoattack.n test images: torchattacks' APGD (CE),
  APGDT, FAB (multi-targeted) and Square at the standard version's settings
  of Croce and Hein (2020) (100 steps, 9 target classes, 5,000 queries), each
  on the images still robust, with per image whether it is still robust after
  each; and, per image, the result of the library's own
  AutoAttack(version='standard') call, which builds the same four attacks
  with their default 10 steps;
- when the export has an "onnx" part: the PyTorch model of models/
  (train_torch_mnist.Net) rebuilt with the weights of its ONNX file and its
  normalisation, its predictions, torchattacks' PGD at the given steps and
  step, and the same AutoAttack components on it.

Layouts: GoMLX's images are NHWC and its convolution kernels
[k, k, in, out]; PyTorch's are NCHW and [out, in, k, k]. The flatten before
the first dense layer orders features (row, column, channel) in Go and
(channel, row, column) in PyTorch, so that layer's rows are permuted to match.

    .venv-torch/bin/python bench/torch_reference.py --export out/crosscheck/torch-export.json --out out/crosscheck

With --speed it reads make bench's export instead (bench/export's
"imported" settings) and times, on the CPU, torchattacks' PGD on the PyTorch
model of models/ with its ONNX file's weights, and onnxruntime's forward
pass on the file; it prints one JSON line:

    .venv-torch/bin/python bench/torch_reference.py --export out/bench/export.json --speed
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import auto_LiRPA
import torchattacks
from auto_LiRPA import BoundedModule, BoundedTensor
from auto_LiRPA.perturbations import PerturbationLpNorm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # Importing idx.py must not leave bench/__pycache__ behind.
from idx import read_idx  # noqa: E402

warnings.filterwarnings("ignore")


def log(message):
    print(message, file=sys.stderr, flush=True)


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
            raise SystemExit(f"torch_reference.py: operation {kind!r} is not known here: add it to rebuild()")
    return torch.nn.Sequential(*layers).eval()


@torch.no_grad()
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


def autoattack(net, x, labels, spec):
    """torchattacks' AutoAttack, component by component and as one call."""
    eps, seed = spec["epsilon"], spec["seed"]
    x, labels = x[:spec["n"]], labels[:spec["n"]]
    with torch.no_grad():
        clean = net(x).argmax(1) == labels
    attacks = [
        ("apgd_ce", torchattacks.APGD(net, norm="Linf", eps=eps, steps=100, n_restarts=1, loss="ce", seed=seed)),
        ("apgd_t", torchattacks.APGDT(net, norm="Linf", eps=eps, steps=100, n_restarts=1, n_classes=10, seed=seed)),
        ("fab_t", torchattacks.FAB(net, norm="Linf", eps=eps, steps=100, n_restarts=1, multi_targeted=True, n_classes=10, seed=seed)),
        ("square", torchattacks.Square(net, norm="Linf", eps=eps, n_queries=5000, n_restarts=1, p_init=0.8, seed=seed)),
    ]
    robust = clean.clone()
    out = {"n": spec["n"], "epsilon": eps, "clean": clean.tolist(), "after": {}, "seconds": {}}
    for name, atk in attacks:
        start = time.time()
        idx = robust.nonzero().flatten()
        if len(idx):
            adv = atk(x[idx], labels[idx])
            with torch.no_grad():
                # Count only examples inside the ball and the image range.
                inside = ((adv - x[idx]).abs().flatten(1).max(1).values <= eps + 1e-6) & (adv.flatten(1).min(1).values >= 0) & (adv.flatten(1).max(1).values <= 1)
                fooled = (net(adv).argmax(1) != labels[idx]) & inside
            robust[idx[fooled]] = False
        out["after"][name] = robust.tolist()
        out["seconds"][name] = time.time() - start
        log(f"  after {name}: {100 * robust.float().mean().item():.2f}% ({time.time() - start:.0f}s)")
    start = time.time()
    adv = torchattacks.AutoAttack(net, norm="Linf", eps=eps, version="standard", n_classes=10, seed=seed)(x, labels)
    with torch.no_grad():
        out["literal"] = (clean & (net(adv).argmax(1) == labels)).tolist()
    out["seconds"]["autoattack_call"] = time.time() - start
    log(f"  torchattacks.AutoAttack(version='standard'): {100 * sum(out['literal']) / len(out['literal']):.2f}%")
    return out


class Normalized(torch.nn.Module):
    """The imported model as both sides attack it: (x − mean) / std, then
    the network, so images and budgets stay in [0, 1] pixels."""

    def __init__(self, net, mean, std):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def torch_model(state, mean, std):
    """The PyTorch model of models/ (train_torch_mnist.Net) with the given
    state_dict (its ONNX file's initializers have the same names), behind its
    normalisation, in eval mode."""
    sys.path.insert(0, os.path.join(ROOT, "models"))
    from train_torch_mnist import Net  # noqa: E402
    net = Net()
    net.load_state_dict(state)
    return Normalized(net, mean, std).eval()


def imported(spec, x, labels):
    """The PyTorch model of models/ rebuilt with its ONNX file's weights
    (the state_dict's names), attacked by torchattacks: PGD at the settings
    ours uses, then AutoAttack's components."""
    state = {name: torch.tensor(w["values"], dtype=torch.float32).reshape(w["dims"]) for name, w in spec["weights"].items()}
    model = torch_model(state, spec["mean"], spec["std"])
    x, labels = x[:spec["n"]], labels[:spec["n"]]
    with torch.no_grad():
        predictions = model(x).argmax(1)
    torch.manual_seed(spec["seed"])
    start = time.time()
    adv = torchattacks.PGD(model, eps=spec["epsilon"], alpha=spec["pgd_alpha"], steps=spec["pgd_steps"], random_start=True)(x, labels)
    with torch.no_grad():
        pgd = (predictions == labels) & (model(adv).argmax(1) == labels)
    log(f"  PGD-{spec['pgd_steps']}: {100 * pgd.float().mean().item():.2f}% ({time.time() - start:.0f}s)")
    return {"predictions": predictions.tolist(), "pgd": pgd.tolist(), "autoattack": autoattack(model, x, labels, spec)}


def speed(export):
    """make bench's imported-model rows (the export's "imported" settings,
    which bench/export writes): torchattacks' PGD on the PyTorch model with
    the weights of its ONNX file, and onnxruntime's forward pass on the file
    itself, on the CPU; returns seconds and images per second."""
    import onnx
    import onnxruntime
    from onnx import numpy_helper
    s = export["imported"]
    path = os.path.join(ROOT, s["model"])
    state = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in onnx.load(path).graph.initializer}
    model = torch_model(state, s["mean"], s["std"])
    images = read_idx(os.path.join(export["mnist_dir"], "t10k-images-idx3-ubyte.gz"), True)
    labels = read_idx(os.path.join(export["mnist_dir"], "t10k-labels-idx1-ubyte.gz"), False).astype(np.int64)
    nchw = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    batch, p = s["batch"], s["pgd"]
    x, y = torch.from_numpy(nchw[:p["n"]]), torch.from_numpy(labels[:p["n"]])
    attack = torchattacks.PGD(model, eps=p["epsilon"], alpha=p["step_size"], steps=p["steps"], random_start=p["random_start"])
    torch.manual_seed(0)
    attack(x[:batch], y[:batch])  # A first batch, as ours compiles before its timing.
    log(f"torch_reference.py --speed: torchattacks PGD-{p['steps']} on {p['n']} images, batches of {batch}")
    start = time.perf_counter()
    for i in range(0, p["n"], batch):
        attack(x[i:i + batch], y[i:i + batch])
    pgd_s = time.perf_counter() - start
    # onnxruntime on the file itself, from pixels to probabilities as
    # Predict does: normalise, run, softmax, in batches of the same size.
    options = onnxruntime.SessionOptions()
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    mean = np.asarray(s["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(s["std"], np.float32).reshape(1, -1, 1, 1)
    pixels = nchw[:s["forward_images"]]

    def forward():
        for i in range(0, len(pixels), batch):
            logits = session.run(None, {name: (pixels[i:i + batch] - mean) / std})[0]
            e = np.exp(logits - logits.max(1, keepdims=True))
            e / e.sum(1, keepdims=True)

    forward()  # Warm.
    log(f"torch_reference.py --speed: onnxruntime's forward pass on {len(pixels)} images")
    runs, start = 3, time.perf_counter()
    for _ in range(runs):
        forward()
    forward_s = (time.perf_counter() - start) / runs
    return {"pgd_seconds": pgd_s, "forward_seconds": forward_s, "forward_images_per_s": len(pixels) / forward_s,
            "torch": torch.__version__, "torchattacks": torchattacks.__version__, "onnxruntime": onnxruntime.__version__,
            "torch_threads": torch.get_num_threads()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", required=True)
    parser.add_argument("--out", help="where torch-reference.json goes (not with --speed)")
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--speed", action="store_true", help="time make bench's imported-model rows; print them as one JSON line")
    args = parser.parse_args()
    with open(args.export) as f:
        export = json.load(f)
    if args.speed:
        print(json.dumps(speed(export)))
        return
    if not args.out:
        parser.error("--out: name the folder for torch-reference.json")
    n = export["n"]
    x = read_idx(os.path.join(export["mnist_dir"], "t10k-images-idx3-ubyte.gz"), True)[:n]
    labels = torch.from_numpy(read_idx(os.path.join(export["mnist_dir"], "t10k-labels-idx1-ubyte.gz"), False)[:n].astype(np.int64))
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW
    out = {"versions": {"auto_LiRPA": auto_LiRPA.__version__, "torchattacks": torchattacks.__version__, "torch": torch.__version__},
           "models": [], "autoattack": None}
    nets = {}
    for m in export["models"]:
        log(f"torch_reference.py: {m['name']}")
        net = nets[m["name"]] = rebuild(m["ops"])
        with torch.no_grad():
            predictions = net(x).argmax(1).tolist()
        out["models"].append({"name": m["name"], "predictions": predictions,
                              "bounds": bound(net, x, labels, export["epsilons"], args.batch)})
    spec = export["autoattack"]
    if spec["n"] > 0:
        log(f"torch_reference.py: AutoAttack on {spec['model']}, {spec['n']} images, eps {spec['epsilon']}")
        xa = read_idx(os.path.join(export["mnist_dir"], "t10k-images-idx3-ubyte.gz"), True)[:spec["n"]]
        la = torch.from_numpy(read_idx(os.path.join(export["mnist_dir"], "t10k-labels-idx1-ubyte.gz"), False)[:spec["n"]].astype(np.int64))
        xa = torch.from_numpy(np.ascontiguousarray(xa.transpose(0, 3, 1, 2)))
        out["autoattack"] = autoattack(nets[spec["model"]], xa, la, spec)
    onnx_spec = export.get("onnx") or {}
    if onnx_spec.get("n", 0) > 0:
        log(f"torch_reference.py: the imported model {onnx_spec['model']}, {onnx_spec['n']} images, eps {onnx_spec['epsilon']}")
        xo = read_idx(os.path.join(export["mnist_dir"], "t10k-images-idx3-ubyte.gz"), True)[:onnx_spec["n"]]
        lo = torch.from_numpy(read_idx(os.path.join(export["mnist_dir"], "t10k-labels-idx1-ubyte.gz"), False)[:onnx_spec["n"]].astype(np.int64))
        xo = torch.from_numpy(np.ascontiguousarray(xo.transpose(0, 3, 1, 2)))
        out["onnx"] = imported(onnx_spec, xo, lo)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "torch-reference.json"), "w") as f:
        json.dump(out, f)
    print(json.dumps({"versions": out["versions"], "models": [m["name"] for m in out["models"]], "n_images": n}))


if __name__ == "__main__":
    main()
