#!/usr/bin/env bash
# The accelerator check for a lent GPU (the `device` tool), under 8 minutes:
#   bash scripts/accelerator_check.sh [OUTPUT_DIR]
# Uses the machine's CUDA JAX when it has one; otherwise installs the CUDA
# wheel (`pip install -U "jax[cuda12]"`, needs a package index). Python
# packages the machine lacks can come as wheels in .whl/ (see docs/speed.md).
# Writes OUTPUT_DIR/accelerator.json (default $OUT, else /tmp).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-/tmp}}"
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
fi
if ! python3 -c "import jax, sys; sys.exit(jax.default_backend() != 'gpu')"; then
  timeout 150 python3 -m pip install -q -U "jax[cuda12]" || \
    echo "no CUDA JAX could be installed; the check runs on $(python3 -c 'import jax; print(jax.default_backend())')"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null | tee "$out/nvidia_smi.txt"
timeout 460 python3 -m experiments.accelerator_check --output="$out/accelerator.json" \
  --budget_s=420 2>&1 | tee "$out/accelerator.log"
