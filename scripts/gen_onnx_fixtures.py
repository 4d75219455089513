#!/usr/bin/python3
"""Writes ONNX fixtures for sparkconv's import tests with PyTorch's own exporter
(torch.onnx.export, opset 13), and the logits PyTorch computes for a fixed input batch.

For each case it writes onnx/src/test/resources/onnx/<case>.onnx and <case>.json holding the
input batch and PyTorch's logits (eval mode). Conv + BatchNorm arrive fused (the default) or as
separate nodes; the flatten arrives as Flatten or as the Shape/Gather/Concat/Reshape that
x.reshape(x.shape[0], -1) exports.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/gen_onnx_fixtures.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onnx", "src", "test",
                       "resources", "onnx")


class LeNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.f1, self.f2 = nn.Linear(400, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(torch.flatten(x, 1))))


class ConvBnRelu(nn.Module):
    """conv-BN-ReLU twice, max pool, a view() flatten (exported as Reshape), a linear layer."""
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.c2, self.b2 = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 6 * 6, 5)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.fc(x.reshape(x.shape[0], -1))


class Residual(nn.Module):
    """A stem, one basic residual block (identity shortcut), global average pool, linear."""
    def __init__(self):
        super().__init__()
        self.stem, self.sb = nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.c1, self.b1 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.c2, self.b2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.sb(self.stem(x)))
        x = F.relu(self.b2(self.c2(F.relu(self.b1(self.c1(x))))) + x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def randomize_bn(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
                m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def export(case, model, shape, fuse=True):
    gen = torch.Generator().manual_seed(len(case))
    torch.manual_seed(len(case))
    model.eval()
    randomize_bn(model, gen)
    x = torch.rand([3] + shape, generator=gen) * 2 - 1
    path = os.path.join(OUT_DIR, case + ".onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}},
                      # PRESERVE keeps an eval-mode BatchNormalization node instead of folding
                      # it into the conv before it, as the default (EVAL) does.
                      training=torch.onnx.TrainingMode.EVAL if fuse
                      else torch.onnx.TrainingMode.PRESERVE)
    with torch.no_grad():
        logits = model(x)
    with open(os.path.join(OUT_DIR, case + ".json"), "w") as fh:
        json.dump({"shape": [3] + shape, "x": x.reshape(-1).tolist(),
                   "logits": logits.reshape(-1).tolist()}, fh)
    print("wrote", case, file=sys.stderr)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    export("lenet_like", LeNetLike(), [1, 28, 28])
    export("conv_bn_relu_fused", ConvBnRelu(), [3, 12, 12])
    export("conv_bn_relu_separate", ConvBnRelu(), [3, 12, 12], fuse=False)
    export("residual_block", Residual(), [1, 10, 10])


if __name__ == "__main__":
    main()
