"""Train a PyTorch MLP on the CPU on matrices written by bench/train-vs-sklearn.ts.

The network an ML engineer would write by hand for the same job: Linear layers
with ReLU between, the same hidden layers, batch size, epochs and Adam with the
same learning rate (PyTorch's default betas and eps), a fresh shuffle each
epoch, cross-entropy for classes and mean squared error for a number. Only the
training loop is timed, as for the other trainers. `threads` sets
torch.set_num_threads. Prints one JSON line per timed fit, after `warmup`
untimed fits in the same process.
"""
import json
import resource
import sys
import time

import numpy as np
import torch

from matrices import blas, load

spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
x_train, y_train, x_test, y_test = load(spec)
classification = spec["task"] == "classification"
outputs = spec["outputs"] if classification else 1
x = torch.from_numpy(x_train)
y = torch.from_numpy(y_train.astype(np.int64) if classification else y_train.reshape(-1, 1))
xt = torch.from_numpy(x_test)


def network():
    layers, width = [], spec["inputs"]
    for units in spec["layers"]:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    layers.append(torch.nn.Linear(width, outputs))
    return torch.nn.Sequential(*layers)


def fit(seed):
    torch.manual_seed(seed)
    model = network()
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()
    rows, batch = x.shape[0], spec["batch"]
    start = time.perf_counter()
    for _ in range(spec["epochs"]):
        order = torch.randperm(rows)
        for i in range(0, rows, batch):
            idx = order[i : i + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
    return model, time.perf_counter() - start


def score(model):
    with torch.no_grad():
        predicted = model(xt).numpy()
    if classification:
        return float((predicted.argmax(axis=1) == y_test).mean())
    residual = ((y_test - predicted[:, 0]) ** 2).sum()
    total = ((y_test - y_test.mean()) ** 2).sum()
    return float(1 - residual / total)


for r in range(spec.get("warmup", 0) + spec["repeats"]):
    model, seconds = fit(spec.get("seed", 0) + r)
    if r < spec.get("warmup", 0):
        continue
    print(json.dumps({
        "seconds": seconds,
        "score": score(model),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "mkl": torch.backends.mkl.is_available(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "blas": blas(),
    }))
