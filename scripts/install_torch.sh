#!/bin/sh
# Install PyTorch and torchvision into the Python given as $1.
# On Linux, PyPI's default torch wheel carries several GB of CUDA libraries; the course runs on the CPU,
# so we take the CPU-only build from PyTorch's own index whenever that index can be reached.
set -eu
PY="$1"
SPEC="torch>=2.2,<3 torchvision>=0.17,<1"
if "$PY" -c "import torch, torchvision" 2>/dev/null; then
    echo "torch and torchvision are already installed"
    exit 0
fi
CPU_INDEX="https://download.pytorch.org/whl/cpu"
if [ "$(uname -s)" = "Linux" ] && "$PY" -c "import urllib.request as u; u.urlopen('$CPU_INDEX/', timeout=5)" 2>/dev/null; then
    echo "installing the CPU-only build of PyTorch from $CPU_INDEX"
    # shellcheck disable=SC2086
    "$PY" -m pip install --index-url "$CPU_INDEX" $SPEC
else
    echo "installing PyTorch from the default package index"
    # shellcheck disable=SC2086
    "$PY" -m pip install $SPEC
fi
