#!/usr/bin/env bash
# Installs the model core's Python environment: Debian's CPU PyTorch (1.13) and pytest, and a venv over them.
# OpenBLAS because without it Debian links PyTorch to the reference BLAS, some 20 times slower.
# The venv sees Debian's packages because PyTorch is only there; pyarrow stays below 17 because Debian's torch
# needs Debian's NumPy 1.24, which later pyarrow wheels refuse.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread ] || ! /usr/bin/python3 -c 'import torch, pytest' 2>/dev/null || ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -q && apt-get install -y -q python3-torch python3-pytest python3-venv libopenblas0-pthread
fi
if [ ! -x "$here/.venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install -q --disable-pip-version-check "pyarrow==16.1.0" "sentencepiece==0.2.3"
