"""Single-precision GEMM speed of this Python's numpy (its BLAS) and, when installed, PyTorch.

    python3 gemm_gflops.py '{"shapes": [[512, 128, 20]], "threads": 2, "seconds": 0.3}'

Each shape is [m, n, k]: C(m×n) = A(m×k)·B(k×n), float32, repeated for about
`seconds` after a warm-up. Prints one JSON object: GFLOP/s per shape and library,
and the BLAS libraries that ran (threadpoolctl).
"""
import json
import sys
import time

import numpy as np

from matrices import blas

spec = json.loads(sys.argv[1])


def rate(fn, m, n, k):
    fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed > spec["seconds"]:
            return 2 * m * n * k * calls / elapsed / 1e9


result = {"numpy": [], "numpy_version": np.__version__}
rng = np.random.default_rng(0)
for m, n, k in spec["shapes"]:
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    result["numpy"].append(rate(lambda: np.matmul(a, b, out=c), m, n, k))
try:
    import torch

    torch.set_num_threads(spec["threads"])
    result["torch"], result["torch_version"] = [], torch.__version__
    for m, n, k in spec["shapes"]:
        a, b, c = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
        result["torch"].append(rate(lambda: torch.mm(a, b, out=c), m, n, k))
except ImportError:
    pass
result["blas"] = blas()
print(json.dumps(result))
