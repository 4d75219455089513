#!/usr/bin/python3
"""Trains LeNet-5 or VGG-small (as conf/models/ defines them) on Fashion-MNIST with PyTorch, the
reference recipe of the engine-training issue: batch 64, SGD momentum 0.9, lr 0.01, pixels
scaled to [0, 1], PyTorch's default initialisation. Prints test accuracy after every epoch.

  /usr/bin/python3 scripts/pytorch_reference.py --model lenet5 --epochs 1 --seed 1
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as fh:
        data = fh.read()
    magic = int.from_bytes(data[0:4], "big")
    count = int.from_bytes(data[4:8], "big")
    if magic == 0x803:
        rows, cols = int.from_bytes(data[8:12], "big"), int.from_bytes(data[12:16], "big")
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def vgg_small():
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                nn.MaxPool2d(2)]
    return nn.Sequential(*block(1, 32), *block(32, 64), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["lenet5", "vgg-small"], default="lenet5")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    d = args.data_dir
    x_train = torch.from_numpy(read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).copy()).float() / 255
    y_train = torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).copy())
    x_test = torch.from_numpy(read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).copy()).float() / 255
    y_test = torch.from_numpy(read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).copy())
    net = lenet5() if args.model == "lenet5" else vgg_small()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(x_train))
        start = time.time()
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(net(x_train[idx]), y_train[idx]).backward()
            opt.step()
        seconds = time.time() - start
        net.eval()
        with torch.no_grad():
            correct = sum((net(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
                          for i in range(0, len(x_test), 1000))
        print(f"pytorch {args.model} seed {args.seed} epoch {epoch + 1}: test accuracy "
              f"{100 * correct / len(x_test):.2f}% ({len(x_train) / seconds:.0f} img/s train)",
              flush=True)


if __name__ == "__main__":
    main()
