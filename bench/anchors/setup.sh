#!/bin/sh
# The pinned Python environment for the current anchors: scikit-learn, FastAPI
# and uvicorn as PyPI ships them today, and PyTorch for the CPU, beside Debian's
# older packages (which the bench scripts run with /usr/bin/python3).
#
#   sh bench/anchors/setup.sh        # idempotent; MLOPS_BENCH_VENV moves the folder
#
# PyTorch: PyPI's only Linux x86_64 wheel is the CUDA build. Installed with
# --no-deps it does not import: libtorch.so links libtorch_cuda.so, which needs
# libcudart, cuBLAS, cuDNN, NCCL… at load time even on a CPU-only machine, and
# the CPU-only wheels live on PyTorch's own index, which is not reachable here.
# So requirements.txt pins torch with its CUDA runtime wheels (a 5.6 GB
# folder); training runs on the CPU (CPU capability AVX2/AVX-512, its own MKL
# and oneDNN kernels), the CUDA libraries are only loaded.
set -eu

VENV="${MLOPS_BENCH_VENV:-$HOME/.cache/mlops-bench/venv}"
PYTHON="${PYTHON:-python3}"
HERE="$(cd "$(dirname "$0")" && pwd)"
STAMP="$VENV/.mlops-bench-requirements"

if [ -f "$STAMP" ] && cmp -s "$STAMP" "$HERE/requirements.txt" && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
# The check that PyTorch computes on the CPU.
"$VENV/bin/python" -c 'import torch; print("torch", torch.__version__, (torch.randn(2, 2) @ torch.randn(2, 2)).shape)'
cp "$HERE/requirements.txt" "$STAMP"
