#!/usr/bin/python3
"""Trains a sparkconv model file (chains and graphs: ResNet-20, DenseNet-BC) on Fashion-MNIST
with PyTorch and the recipe of sparkconv's job file, to compare test accuracy side by side:

  /usr/bin/python3 scripts/pytorch_graph_recipe.py --job conf/jobs/resnet20-fashion.json

The network is built from the same model file (blocks expanded as sparkconv expands them), so
the architecture cannot drift. The recipe follows the job file and sparkconv's defaults:
dataset normalisation (mean/std of the training pixels), random crop with zero padding in
normalised space plus horizontal flip, He-normal weights and zero biases, SGD (Nesterov)
momentum with L2 weight decay on conv/dense weights only, linear warm-up then cosine per step,
468 steps of the batch per epoch (the remainder dropped), mean cross-entropy. Runs PyTorch at
its best on this machine: set MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ and
OPENBLAS_NUM_THREADS as scripts/compare-recipe.sh does.
"""
import argparse
import copy
import json
import math
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openblas_kernels import ensure_cpu_kernels  # noqa: E402

ensure_cpu_kernels()  # before torch loads OpenBLAS

import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

from pytorch_reference import read_idx  # noqa: E402


def expand(spec):
    """The layer list with blocks expanded and every layer named, as sparkconv's BlockTemplates."""
    blocks = spec.get("blocks", {})
    out = []

    def last_name():
        return out[-1]["name"] if out else "input"

    for position, entry in enumerate(spec["layers"]):
        if "block" not in entry:
            layer = dict(entry)
            layer.setdefault("name", "%s_%d" % (layer["type"], len(out)))
            out.append(layer)
            continue
        block = blocks[entry["block"]]
        args = dict(block.get("params", {}))
        args.update(entry.get("with", {}))
        use = entry.get("name", "%s_%d" % (entry["block"], position))
        repeat = entry.get("repeat", 1)
        given = entry.get("inputs", [None])[0]
        for r in range(1, repeat + 1):
            prefix = use if repeat == 1 else "%s.%d" % (use, r)
            block_in = given or last_name()
            local = {t["name"]: prefix + "/" + t["name"] for t in block["layers"] if "name" in t}
            for j, template in enumerate(block["layers"]):
                layer = {k: (args[v[1:]] if isinstance(v, str) and v.startswith("$") and k != "name"
                             else copy.deepcopy(v)) for k, v in template.items()}
                layer["name"] = (prefix + "/" + template["name"] if "name" in template
                                 else "%s/%s_%d" % (prefix, template["type"], len(out)))
                if "inputs" in template:
                    layer["inputs"] = [block_in if n == "$in" else local.get(n, n)
                                       for n in template["inputs"]]
                elif j == 0:
                    layer["inputs"] = [block_in]
                out.append(layer)
    return out


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


class Graph(nn.Module):
    """The model file's graph as a PyTorch module."""

    def __init__(self, spec):
        super().__init__()
        self.layers = expand(spec)
        shapes = {"input": (spec["input"]["channels"],)}
        self.mods = nn.ModuleList()
        self.inputs = []
        previous = "input"
        for layer in self.layers:
            ins = layer.get("inputs", [previous])
            self.inputs.append(ins)
            c = shapes[ins[0]][0]
            t = layer["type"]
            if t == "conv2d":
                pad = layer.get("padding", 0)
                m = nn.Conv2d(c, layer["out_channels"], pair(layer["kernel"]),
                              stride=pair(layer.get("stride", 1)),
                              padding=pad if isinstance(pad, str) else pair(pad),
                              dilation=pair(layer.get("dilation", 1)),
                              groups=layer.get("groups", 1), bias=layer.get("bias", True))
                c = layer["out_channels"]
            elif t == "batchnorm2d":
                m = nn.BatchNorm2d(c, momentum=layer.get("momentum", 0.1), eps=layer.get("eps", 1e-5))
            elif t == "relu":
                m = nn.ReLU(inplace=False)
            elif t == "maxpool2d":
                m = nn.MaxPool2d(pair(layer["kernel"]), stride=pair(layer.get("stride", layer["kernel"])),
                                 padding=pair(layer.get("padding", 0)))
            elif t == "avgpool2d":
                m = nn.AvgPool2d(pair(layer["kernel"]), stride=pair(layer.get("stride", layer["kernel"])),
                                 padding=pair(layer.get("padding", 0)))
            elif t == "global_avgpool2d":
                m = nn.AdaptiveAvgPool2d(1)
            elif t == "flatten":
                m = nn.Flatten()
            elif t == "dense":
                m = nn.LazyLinear(layer["units"])  # its input size is known after a forward
                c = layer["units"]
            elif t == "add":
                m = nn.Identity()
            elif t == "concat":
                m = nn.Identity()
                c = sum(shapes[n][0] for n in ins)
            else:
                raise SystemExit("pytorch_graph_recipe.py: layer type %s is not mapped" % t)
            self.mods.append(m)
            shapes[layer["name"]] = (c,)
            previous = layer["name"]
        self.uses = {}
        for ins in self.inputs:
            for n in ins:
                self.uses[n] = self.uses.get(n, 0) + 1
        self.eval()  # the sizing forward must not move batch-norm running statistics
        with torch.no_grad():
            self.forward(torch.zeros(1, spec["input"]["channels"], spec["input"]["height"],
                                     spec["input"]["width"]))
        self.train()
        for m in self.mods:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")  # He-normal, fan in
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        values = {"input": x}
        for layer, m, ins in zip(self.layers, self.mods, self.inputs):
            if layer["type"] == "add":
                y = values[ins[0]]
                for n in ins[1:]:
                    y = y + values[n]
            elif layer["type"] == "concat":
                y = torch.cat([values[n] for n in ins], dim=1)
            elif layer["type"] == "relu" and self.uses[ins[0]] == 1:
                y = F.relu(values[ins[0]], inplace=True)  # in place: nothing else reads it
            else:
                y = m(values[ins[0]])
            values[layer["name"]] = y
        return values[self.layers[-1]["name"]]


def main():
    warnings.filterwarnings("ignore", message="Lazy modules")
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", required=True)
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    job = json.load(open(args.job))
    spec = json.load(open(os.path.join(os.path.dirname(args.job), job["model"])))
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    d = args.data_dir or job["data"]["dir"]
    data = job["data"]
    x_train = torch.from_numpy(read_idx(os.path.join(d, data["train_images"])).copy()).float() / 255
    y_train = torch.from_numpy(read_idx(os.path.join(d, data["train_labels"])).copy())
    x_test = torch.from_numpy(read_idx(os.path.join(d, data["test_images"])).copy()).float() / 255
    y_test = torch.from_numpy(read_idx(os.path.join(d, data["test_labels"])).copy())
    mean, std = x_train.mean().item(), x_train.std().item()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    net = Graph(spec)
    opt_spec = job["optimizer"]
    decayed = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    ids = {id(p) for p in decayed}
    rest = [p for p in net.parameters() if id(p) not in ids]
    opt = torch.optim.SGD([{"params": decayed, "weight_decay": opt_spec.get("weight_decay", 0)},
                           {"params": rest, "weight_decay": 0}], lr=opt_spec["lr"],
                          momentum=opt_spec.get("momentum", 0),
                          nesterov=opt_spec.get("nesterov", False))
    epochs = args.epochs or job["epochs"]
    batch = job["batch_size"]
    steps_per_epoch = len(x_train) // batch
    warmup = job.get("schedule", {}).get("warmup_epochs", 0) * steps_per_epoch
    pad = job.get("augment", {}).get("crop_padding", 0)
    flip = job.get("augment", {}).get("flip", False)
    base = opt_spec["lr"]

    def rate(step):
        if step + 1 < warmup:
            return base * (step + 1) / warmup
        e = max(step / steps_per_epoch - warmup / steps_per_epoch, 0)
        span = max(epochs - warmup / steps_per_epoch, 1e-9)
        return base * 0.5 * (1 + math.cos(math.pi * min(e / span, 1.0)))

    step = 0
    h, w = x_train.shape[2], x_train.shape[3]
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x_train))
        start, cpu_start = time.time(), time.process_time()
        for i in range(steps_per_epoch):
            idx = order[i * batch:(i + 1) * batch]
            xb = x_train[idx]
            if pad:
                padded = F.pad(xb, (pad, pad, pad, pad))
                dy = torch.randint(0, 2 * pad + 1, (len(idx),))
                dx = torch.randint(0, 2 * pad + 1, (len(idx),))
                xb = torch.stack([padded[k, :, dy[k]:dy[k] + h, dx[k]:dx[k] + w]
                                  for k in range(len(idx))])
            if flip:
                mirrored = torch.rand(len(idx)) < 0.5
                xb[mirrored] = xb[mirrored].flip(3)
            for g in opt.param_groups:
                g["lr"] = rate(step)
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(xb), y_train[idx]).backward()
            opt.step()
            step += 1
        seconds, cpu = time.time() - start, time.process_time() - cpu_start
        net.eval()
        with torch.no_grad():
            correct = sum((net(x_test[i:i + 500]).argmax(1) == y_test[i:i + 500]).sum().item()
                          for i in range(0, len(x_test), 500))
        print(f"pytorch {spec['name']} epoch {epoch + 1}/{epochs}: test accuracy "
              f"{100 * correct / len(x_test):.2f}% ({steps_per_epoch * batch / seconds:.0f} img/s"
              f" train, {seconds:.0f} s, cpu/wall {cpu / seconds:.2f})", flush=True)


if __name__ == "__main__":
    main()
