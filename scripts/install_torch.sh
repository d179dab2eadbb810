#!/bin/sh
# Install PyTorch and torchvision into the Python given as $1, and say first what that will download.
# On Linux, PyPI's default torch wheel pulls in NVIDIA's CUDA libraries (gigabytes); the course runs on the CPU,
# so we take the CPU-only build from PyTorch's own index whenever that index can be reached.
# FTLAB_TORCH_INDEX_URL names another index with the CPU-only build (a mirror, a classroom proxy).
# The sizes below are the ones README.md's "Start" section measured; pip prints each file's exact size as it goes.
set -eu
PY="$1"
SPEC="torch>=2.2,<3 torchvision>=0.17,<1"
if "$PY" -c "import torch, torchvision" 2>/dev/null; then
    echo "PyTorch: torch and torchvision are already installed, nothing to download"
    exit 0
fi
CPU_INDEX="${FTLAB_TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
if [ "$(uname -s)" != "Linux" ]; then
    echo "PyTorch: installing torch and torchvision from PyPI (on macOS and Windows that build has no CUDA libraries)"
    # shellcheck disable=SC2086
    "$PY" -m pip install $SPEC
elif "$PY" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1].rstrip('/') + '/', timeout=5)" "$CPU_INDEX" 2>/dev/null; then
    echo "PyTorch: installing the CPU-only build from $CPU_INDEX"
    echo "         about 200 MB to download; .venv ends up about 1.7 GB with everything else"
    # shellcheck disable=SC2086
    "$PY" -m pip install --index-url "$CPU_INDEX" $SPEC
else
    cat <<MSG
PyTorch: $CPU_INDEX cannot be reached, so pip takes the default build from PyPI.
         On Linux that build carries NVIDIA's CUDA libraries, which the course never uses:
         about 3.0 GB to download; .venv ends up about 6.5 GB. To take the CPU-only build instead,
         press Ctrl-C now and run make again where that index can be reached, or set FTLAB_TORCH_INDEX_URL.
MSG
    # shellcheck disable=SC2086
    "$PY" -m pip install $SPEC
fi
