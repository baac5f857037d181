"""Shared by the training anchors: the matrices bench/lib/matrices.ts wrote, and what ran them.

`load(spec)` reads x_train.f32, y_train.(f32|i32), x_test.f32 and y_test.(f32|i32)
from spec["dir"]. `blas()` describes the BLAS and OpenMP libraries this process
has loaded (threadpoolctl), so the tables can say which kernel actually ran.
"""
import os

import numpy as np


def load(spec):
    d = spec["dir"]
    classification = spec["task"] == "classification"
    ytype = np.int32 if classification else np.float32
    ext = "i32" if classification else "f32"
    x_train = np.fromfile(f"{d}/x_train.f32", dtype=np.float32).reshape(-1, spec["inputs"])
    y_train = np.fromfile(f"{d}/y_train.{ext}", dtype=ytype)
    x_test = np.fromfile(f"{d}/x_test.f32", dtype=np.float32).reshape(-1, spec["inputs"])
    y_test = np.fromfile(f"{d}/y_test.{ext}", dtype=ytype)
    return x_train, y_train, x_test, y_test


def blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"internal_api": "unknown (no threadpoolctl)"}]
    keys = ("internal_api", "architecture", "num_threads", "version", "threading_layer")
    return [
        {k: info[k] for k in keys if info.get(k) is not None}
        | {"library": os.path.basename(info.get("filepath", ""))}
        for info in threadpool_info()
    ]
