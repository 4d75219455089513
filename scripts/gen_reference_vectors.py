#!/usr/bin/python3
"""Writes reference vectors for the engine's tests from PyTorch, an independent implementation.

For each case it writes engine/src/test/resources/reference/<case>.json holding the sparkconv model
spec, the parameters and batch-norm state flattened in sparkconv's layout (per layer: weight then
bias; gamma then beta; running mean then running variance), an input batch, the upstream gradient
(or labels for a loss), and what PyTorch computes: outputs, loss, input and parameter gradients,
and the state after a training forward. Values are computed in float64 from float32 inputs.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/gen_reference_vectors.py
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "src", "test",
                       "resources", "reference")


def f32(t):
    """Rounds to float32, then works in float64 so the reference itself adds no rounding."""
    return t.float().double()


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def shape(t):
    return list(t.shape)


def params_of(modules):
    """Parameters and gradients flattened in sparkconv's layout."""
    values, grads = [], []
    for m in modules:
        for name in ("weight", "bias"):
            p = getattr(m, name, None)
            if isinstance(p, nn.Parameter):
                values += flat(p)
                grads += flat(p.grad) if p.grad is not None else [0.0] * p.numel()
    return values, grads


def state_of(modules):
    state = []
    for m in modules:
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            state += flat(m.running_mean) + flat(m.running_var)
    return state


def randomize(modules, gen):
    with torch.no_grad():
        for m in modules:
            for name in ("weight", "bias"):
                p = getattr(m, name, None)
                if isinstance(p, nn.Parameter):
                    p.copy_(f32(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1))
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(f32(torch.rand(m.running_mean.shape, generator=gen,
                                                    dtype=torch.float64) - 0.5))
                m.running_var.copy_(f32(torch.rand(m.running_var.shape, generator=gen,
                                                   dtype=torch.float64) + 0.5))


def write(case, record):
    path = os.path.join(OUT_DIR, case + ".json")
    with open(path, "w") as fh:
        json.dump(record, fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    print("wrote", os.path.relpath(path), file=sys.stderr)


def layer_case(case, model_layers, modules, input_shape, batch, seed, training=True,
               x_fn=None):
    """One or more layers; loss = sum(out * dout) so that dL/dout = dout."""
    gen = torch.Generator().manual_seed(seed)
    seq = nn.Sequential(*modules).double()
    randomize(modules, gen)
    state_before = state_of(modules)
    params, _ = params_of(modules)
    if x_fn is None:
        x = f32(torch.rand([batch] + input_shape, generator=gen, dtype=torch.float64) * 2 - 1)
    else:
        x = f32(x_fn(gen, [batch] + input_shape))
    x.requires_grad_(True)
    seq.train(training)
    out = seq(x)
    dout = f32(torch.rand(out.shape, generator=gen, dtype=torch.float64) * 2 - 1)
    (out * dout).sum().backward()
    _, grads = params_of(modules)
    write(case, {
        "model": {"name": case, "input": dict(zip(["channels", "height", "width"], input_shape)),
                  "layers": model_layers},
        "training": training,
        "batch": batch,
        "params": params,
        "state": state_before,
        "x": flat(x),
        "dout": flat(dout),
        "out": flat(out),
        "out_shape": shape(out),
        "dx": flat(x.grad),
        "dparams": grads,
        "state_after": state_of(modules),
    })


def graph_case(case, model_layers, modules, forward, input_shape, batch, seed, blocks=None):
    """A graph network: `forward(x)` wires `modules` (listed in sparkconv's node order, which is
    also its parameter and state order) as `model_layers` does; loss = sum(out * dout)."""
    gen = torch.Generator().manual_seed(seed)
    for m in modules:
        m.double().train()
    randomize(modules, gen)
    state_before = state_of(modules)
    params, _ = params_of(modules)
    x = f32(torch.rand([batch] + input_shape, generator=gen, dtype=torch.float64) * 2 - 1)
    x.requires_grad_(True)
    out = forward(x)
    dout = f32(torch.rand(out.shape, generator=gen, dtype=torch.float64) * 2 - 1)
    (out * dout).sum().backward()
    _, grads = params_of(modules)
    model = {"name": case, "input": dict(zip(["channels", "height", "width"], input_shape)),
             "layers": model_layers}
    if blocks:
        model["blocks"] = blocks
    write(case, {
        "model": model, "training": True, "batch": batch, "params": params,
        "state": state_before, "x": flat(x), "dout": flat(dout), "out": flat(out),
        "out_shape": shape(out), "dx": flat(x.grad), "dparams": grads,
        "state_after": state_of(modules),
    })


def conv_spec(out, kernel, stride=1, padding=0, bias=False, name=None, inputs=None, groups=1):
    layer = {"type": "conv2d", "out_channels": out, "kernel": kernel, "stride": stride,
             "padding": padding, "bias": bias}
    if groups != 1:
        layer["groups"] = groups
    if name:
        layer["name"] = name
    if inputs:
        layer["inputs"] = inputs
    return layer


def graph_cases():
    # A basic residual block, identity shortcut: relu(bn(conv(relu(bn(conv(x))))) + x).
    c1, b1, c2, b2 = nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), \
        nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
    graph_case("residual_identity",
               [conv_spec(4, 3, padding=1), {"type": "batchnorm2d"}, {"type": "relu"},
                conv_spec(4, 3, padding=1), {"type": "batchnorm2d", "name": "branch"},
                {"type": "add", "inputs": ["branch", "input"]}, {"type": "relu"}],
               [c1, b1, c2, b2], lambda x: F.relu(b2(c2(F.relu(b1(c1(x))))) + x),
               [4, 6, 6], 3, 30)

    # The same with stride 2 and a projection shortcut (1x1 conv, stride 2, batch norm).
    c1, b1, c2, b2 = nn.Conv2d(3, 6, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(6), \
        nn.Conv2d(6, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6)
    cp, bp = nn.Conv2d(3, 6, 1, stride=2, bias=False), nn.BatchNorm2d(6)
    graph_case("residual_projection_stride2",
               [conv_spec(6, 3, stride=2, padding=1), {"type": "batchnorm2d"}, {"type": "relu"},
                conv_spec(6, 3, padding=1), {"type": "batchnorm2d", "name": "branch"},
                conv_spec(6, 1, stride=2, name="projection", inputs=["input"]),
                {"type": "batchnorm2d", "name": "shortcut"},
                {"type": "add", "inputs": ["branch", "shortcut"]}, {"type": "relu"}],
               [c1, b1, c2, b2, cp, bp],
               lambda x: F.relu(b2(c2(F.relu(b1(c1(x))))) + bp(cp(x))), [3, 7, 7], 2, 31)

    # A dense block of three BN-ReLU-conv3x3 layers (growth 3) on the concatenation of all
    # earlier maps, then a transition BN-ReLU-conv1x1-avgpool.
    growth, channels = 3, 4
    norms, convs = [], []
    layers = []
    previous = "input"
    for i in range(3):
        norms.append(nn.BatchNorm2d(channels + i * growth))
        convs.append(nn.Conv2d(channels + i * growth, growth, 3, padding=1, bias=False))
        layers += [{"type": "batchnorm2d", "inputs": [previous]} if i else
                   {"type": "batchnorm2d"}, {"type": "relu"},
                   conv_spec(growth, 3, padding=1, name="new%d" % i),
                   {"type": "concat", "name": "features%d" % i,
                    "inputs": [previous, "new%d" % i]}]
        previous = "features%d" % i
    tn, tc = nn.BatchNorm2d(channels + 3 * growth), nn.Conv2d(channels + 3 * growth, 5, 1,
                                                             bias=False)
    layers += [{"type": "batchnorm2d"}, {"type": "relu"}, conv_spec(5, 1),
               {"type": "avgpool2d", "kernel": 2}]
    modules = []
    for n, c in zip(norms, convs):
        modules += [n, c]
    modules += [tn, tc]

    def dense(x):
        for n, c in zip(norms, convs):
            x = torch.cat([x, c(F.relu(n(x)))], dim=1)
        return F.avg_pool2d(tc(F.relu(tn(x))), 2)
    graph_case("dense_block_transition", layers, modules, dense, [4, 6, 6], 2, 32)

    # Grouped convolution (2 groups) then depthwise (groups = channels, stride 2).
    g2 = nn.Conv2d(4, 6, 3, padding=1, groups=2)
    dw = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6)
    graph_case("grouped_conv",
               [conv_spec(6, 3, padding=1, bias=True, groups=2),
                conv_spec(6, 3, stride=2, padding=1, bias=True, groups=6)],
               [g2, dw], lambda x: dw(g2(x)), [4, 7, 6], 2, 33)

    # A complete small ResNet in the block form of the model files: stem, an identity block,
    # a stride-2 projection block, global average pooling and a dense layer.
    blocks = {
        "basic": {"params": {"channels": None}, "layers": [
            conv_spec("$channels", 3, padding=1), {"type": "batchnorm2d"}, {"type": "relu"},
            conv_spec("$channels", 3, padding=1), {"type": "batchnorm2d", "name": "branch"},
            {"type": "add", "inputs": ["branch", "$in"]}, {"type": "relu"}]},
        "down": {"params": {"channels": None}, "layers": [
            conv_spec("$channels", 3, stride=2, padding=1), {"type": "batchnorm2d"},
            {"type": "relu"}, conv_spec("$channels", 3, padding=1),
            {"type": "batchnorm2d", "name": "branch"},
            conv_spec("$channels", 1, stride=2, name="projection", inputs=["$in"]),
            {"type": "batchnorm2d", "name": "shortcut"},
            {"type": "add", "inputs": ["branch", "shortcut"]}, {"type": "relu"}]},
    }
    stem, stem_bn = nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
    a = [nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
         nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)]
    d = [nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8),
         nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8),
         nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8)]
    fc = nn.Linear(8, 5)

    def resnet(x):
        x = F.relu(stem_bn(stem(x)))
        x = F.relu(a[3](a[2](F.relu(a[1](a[0](x))))) + x)
        x = F.relu(d[3](d[2](F.relu(d[1](d[0](x))))) + d[5](d[4](x)))
        return fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
    graph_case("small_resnet",
               [conv_spec(4, 3, padding=1), {"type": "batchnorm2d"}, {"type": "relu"},
                {"block": "basic", "name": "stage1", "with": {"channels": 4}},
                {"block": "down", "name": "stage2", "with": {"channels": 8}},
                {"type": "global_avgpool2d"}, {"type": "flatten"}, {"type": "dense", "units": 5}],
               [stem, stem_bn] + a + d + [fc], resnet, [1, 8, 8], 3, 34, blocks=blocks)


def distinct_values(gen, shape_):
    """A random arrangement of well-separated values: no ties for max pooling."""
    n = 1
    for s in shape_:
        n *= s
    perm = torch.randperm(n, generator=gen).double()
    return (perm / n * 4 - 2).reshape(shape_)


def away_from_zero(gen, shape_):
    """Values in [0.1, 1] with random sign: no activation kinks within a finite difference."""
    mag = torch.rand(shape_, generator=gen, dtype=torch.float64) * 0.9 + 0.1
    sign = torch.randint(0, 2, shape_, generator=gen).double() * 2 - 1
    return mag * sign


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_default_dtype(torch.float64)

    layer_case("conv2d_basic",
               [{"type": "conv2d", "out_channels": 3, "kernel": 3, "padding": 1}],
               [nn.Conv2d(2, 3, 3, padding=1)], [2, 5, 6], 2, 1)
    layer_case("conv2d_stride2_nonsquare",
               [{"type": "conv2d", "out_channels": 4, "kernel": [3, 2], "stride": 2,
                 "padding": [1, 0]}],
               [nn.Conv2d(3, 4, (3, 2), stride=2, padding=(1, 0))], [3, 7, 6], 2, 2)
    layer_case("conv2d_same_even_kernel",
               [{"type": "conv2d", "out_channels": 2, "kernel": 4, "padding": "same"}],
               [nn.Conv2d(2, 2, 4, padding="same")], [2, 6, 5], 2, 3)
    layer_case("conv2d_valid_dilation2",
               [{"type": "conv2d", "out_channels": 3, "kernel": 3, "dilation": 2,
                 "padding": "valid"}],
               [nn.Conv2d(2, 3, 3, dilation=2, padding="valid")], [2, 8, 7], 2, 4)
    layer_case("conv2d_1x1_nobias",
               [{"type": "conv2d", "out_channels": 5, "kernel": 1, "bias": False}],
               [nn.Conv2d(3, 5, 1, bias=False)], [3, 4, 4], 3, 5)
    layer_case("conv_transpose2d_stride2_outpad",
               [{"type": "conv_transpose2d", "out_channels": 3, "kernel": 3, "stride": 2,
                 "padding": 1, "output_padding": 1}],
               [nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)],
               [2, 4, 3], 2, 6)
    layer_case("conv_transpose2d_dilation_nonsquare",
               [{"type": "conv_transpose2d", "out_channels": 2, "kernel": [2, 3],
                 "stride": [1, 2], "dilation": 2, "padding": [0, 1]}],
               [nn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 2), dilation=2, padding=(0, 1))],
               [3, 3, 4], 2, 7)
    layer_case("maxpool2d_overlapping_padded",
               [{"type": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1}],
               [nn.MaxPool2d(3, stride=2, padding=1)], [2, 7, 6], 2, 8, x_fn=distinct_values)
    layer_case("avgpool2d_padded",
               [{"type": "avgpool2d", "kernel": 3, "stride": 2, "padding": 1}],
               [nn.AvgPool2d(3, stride=2, padding=1)], [2, 7, 6], 2, 9)
    layer_case("lppool2d_l2",
               [{"type": "lppool2d", "norm": 2, "kernel": 2}],
               [nn.LPPool2d(2, 2)], [2, 6, 5], 2, 10)
    layer_case("lppool2d_l1_overlapping",
               [{"type": "lppool2d", "norm": 1, "kernel": 3, "stride": 2}],
               [nn.LPPool2d(1, 3, stride=2)], [2, 7, 7], 2, 11)
    layer_case("batchnorm2d_train",
               [{"type": "batchnorm2d"}], [nn.BatchNorm2d(3)], [3, 4, 5], 4, 12)
    layer_case("batchnorm2d_eval",
               [{"type": "batchnorm2d"}], [nn.BatchNorm2d(3)], [3, 4, 5], 4, 13, training=False)
    layer_case("dense_batchnorm1d",
               [{"type": "flatten"}, {"type": "dense", "units": 6}, {"type": "batchnorm1d"}],
               [nn.Flatten(), nn.Linear(12, 6), nn.BatchNorm1d(6)], [3, 2, 2], 5, 14)
    layer_case("activations",
               [{"type": "relu"}, {"type": "leaky_relu", "slope": 0.1}, {"type": "tanh"},
                {"type": "sigmoid"}],
               [nn.ReLU(), nn.LeakyReLU(0.1), nn.Tanh(), nn.Sigmoid()], [2, 3, 3], 3, 15,
               x_fn=away_from_zero)
    layer_case("leaky_relu_negative",
               [{"type": "leaky_relu", "slope": 0.2}], [nn.LeakyReLU(0.2)], [2, 3, 3], 3, 16,
               x_fn=away_from_zero)
    layer_case("global_pools",
               [{"type": "conv2d", "out_channels": 4, "kernel": 1}, {"type": "global_avgpool2d"}],
               [nn.Conv2d(2, 4, 1), nn.AdaptiveAvgPool2d(1)], [2, 3, 5], 2, 17)
    layer_case("global_maxpool",
               [{"type": "global_maxpool2d"}], [nn.AdaptiveMaxPool2d(1)], [3, 4, 3], 2, 18,
               x_fn=distinct_values)

    # Softmax cross-entropy alone, with label smoothing.
    gen = torch.Generator().manual_seed(19)
    for case, smoothing in (("softmax_ce", 0.0), ("softmax_ce_smoothing", 0.1)):
        logits = f32(torch.randn(6, 5, generator=gen) * 3).requires_grad_(True)
        labels = torch.randint(0, 5, (6,), generator=gen)
        loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
        loss.backward()
        write(case, {"label_smoothing": smoothing, "batch": 6, "classes": 5,
                     "logits": flat(logits), "labels": labels.tolist(), "loss": float(loss),
                     "dlogits": flat(logits.grad)})

    # One small complete network: conv-BN-ReLU-pool-dense, mean cross-entropy, training mode.
    gen = torch.Generator().manual_seed(20)
    modules = [nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
               nn.Flatten(), nn.Linear(4 * 4 * 4, 5)]
    randomize(modules, gen)
    net = nn.Sequential(*modules).double().train()
    state_before = state_of(modules)
    params, _ = params_of(modules)
    x = f32(torch.rand(4, 2, 8, 8, generator=gen) * 2 - 1).requires_grad_(True)
    labels = torch.randint(0, 5, (4,), generator=gen)
    logits = net(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    _, grads = params_of(modules)
    write("network_conv_bn_relu_pool_dense", {
        "model": {"name": "small", "input": {"channels": 2, "height": 8, "width": 8},
                  "layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
                             {"type": "batchnorm2d"}, {"type": "relu"},
                             {"type": "maxpool2d", "kernel": 2}, {"type": "flatten"},
                             {"type": "dense", "units": 5}]},
        "batch": 4, "params": params, "state": state_before, "x": flat(x),
        "labels": labels.tolist(), "logits": flat(logits), "loss": float(loss),
        "dx": flat(x.grad), "dparams": grads, "state_after": state_of(modules)})


def optimizer_traces():
    """Parameters after each of 5 steps of each optimizer, on a dense layer (2 -> 2): 4 weights
    then 2 biases, the sparkconv layout. Gradients are fixed random vectors per step."""
    gen = torch.Generator().manual_seed(21)
    w0 = f32(torch.rand(2, 2, generator=gen) * 2 - 1)
    b0 = f32(torch.rand(2, generator=gen) * 2 - 1)
    grads = [(f32(torch.rand(2, 2, generator=gen) * 2 - 1), f32(torch.rand(2, generator=gen) * 2 - 1))
             for _ in range(5)]
    cases = {
        "sgd": (lambda w, b: torch.optim.SGD([w, b], lr=0.1),
                {"type": "sgd", "lr": 0.1}),
        "sgd_momentum": (lambda w, b: torch.optim.SGD([w, b], lr=0.1, momentum=0.9),
                         {"type": "sgd", "lr": 0.1, "momentum": 0.9}),
        "sgd_nesterov": (lambda w, b: torch.optim.SGD([w, b], lr=0.1, momentum=0.9, nesterov=True),
                         {"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True}),
        "sgd_weight_decay_weights_only": (
            lambda w, b: torch.optim.SGD([{"params": [w], "weight_decay": 0.05},
                                         {"params": [b], "weight_decay": 0.0}],
                                        lr=0.1, momentum=0.9),
            {"type": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.05}),
        "adam": (lambda w, b: torch.optim.Adam([w, b], lr=0.01),
                 {"type": "adam", "lr": 0.01}),
        "adam_l2_all": (lambda w, b: torch.optim.Adam([w, b], lr=0.01, weight_decay=0.1),
                        {"type": "adam", "lr": 0.01, "weight_decay": 0.1,
                         "decay_bias_and_norm": True}),
        "adamw": (lambda w, b: torch.optim.AdamW([{"params": [w], "weight_decay": 0.1},
                                                 {"params": [b], "weight_decay": 0.0}],
                                                lr=0.01),
                  {"type": "adamw", "lr": 0.01, "weight_decay": 0.1}),
    }
    out = {"initial": flat(w0) + flat(b0),
           "grads": [flat(gw) + flat(gb) for gw, gb in grads], "cases": {}}
    for name, (make, settings) in cases.items():
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        opt = make(w, b)
        trace = []
        for gw, gb in grads:
            w.grad = gw.clone()
            b.grad = gb.clone()
            opt.step()
            trace.append(flat(w) + flat(b))
        out["cases"][name] = {"settings": settings, "params_after_each_step": trace}
    write("optimizers", out)


if __name__ == "__main__":
    optimizer_traces()
    main()
    graph_cases()
