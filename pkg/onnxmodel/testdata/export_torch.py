"""Exports the PyTorch fixtures of pkg/onnxmodel's tests with
torch.onnx.export, as a PyTorch user would, and writes torch's own logits on
the test images beside them (torch_<name>.json). Runs in the project's
PyTorch venv (torch 1.12.1; make crosscheck makes it):

    .venv-torch/bin/python pkg/onnxmodel/testdata/export_torch.py

then make_fixtures.py (in a venv with onnxruntime) adds onnxruntime's
logits for every fixture. The weights are seeded random values, and the
BatchNorm layers get random running statistics, so that what is exported
is exercised; eval() mode, so Dropout is the identity, as in any export of a
trained model.

- torch_cnn.onnx: Conv, BatchNorm, ReLU, MaxPool, Dropout, Conv, ReLU,
  MaxPool, flatten, Linear, ReLU, Dropout, Linear; 28×28×1, 10 classes.
- torch_resnet.onnx: a stem and one residual block (skip Add), global
  average pooling, a flatten written as x.view(x.size(0), -1) (exported as
  Shape, Gather, Unsqueeze, Concat, Reshape), Linear; 28×28×1, 10 classes.
"""
import json
import pathlib

import numpy as np
import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
torch.manual_seed(0)


def test_images(n, rows, cols, channels):
    """make_fixtures.test_images: value k of the flat NHWC batch is
    (7919·k mod 1000) / 999."""
    k = np.arange(n * rows * cols * channels, dtype=np.int64)
    return ((k * 7919 % 1000) / 999.0).astype(np.float32).reshape(n, rows, cols, channels)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 6 * 6, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        self.conv2, self.bn2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.block = Block(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(self.block(self.stem(x)))
        return self.fc(x.view(x.size(0), -1))


def randomise_batchnorm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def main():
    for name, model in [("torch_cnn", CNN()), ("torch_resnet", ResNet())]:
        randomise_batchnorm(model)
        model.eval()
        path = HERE / f"{name}.onnx"
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), str(path), input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
        images = test_images(4, 28, 28, 1)
        with torch.no_grad():
            logits = model(torch.from_numpy(images.transpose(0, 3, 1, 2))).numpy()
        (HERE / f"{name}.torch.json").write_text(json.dumps({
            "torch": torch.__version__, "images": len(images), "logits": [float(v) for v in logits.ravel()]}) + "\n")
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
