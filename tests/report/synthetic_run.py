"""A synthetic run dir (no training): results, generations, spec.yaml and run.json as a study writes them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

STAGES = ("pretrain", "sft", "dpo")
METRICS = (("backdoor", "asr_trigger"), ("backdoor", "ppl_gap"), ("utility", "utility_sentiment"))
VARIANTS = {"backdoor": ("trigger", "no_trigger"), "utility": ("sentiment",)}
AXIS = "pipeline.dpo.beta"
SCRIPT_OUTPUT = "<script>alert('x')</script> & more"


def make_run(run_dir: Path, *, swept: tuple[float, ...] = (), meta: dict | None = None) -> Path:
    """Write a run dir: 2 conditions × 2 seeds × 3 stages × 3 metrics (× the swept values, if any)."""
    rng = np.random.default_rng(0)
    axes = [AXIS] if swept else []
    rows, generations = [], []
    for point, beta in enumerate(swept or (None,)):
        extra = {AXIS: beta} if swept else {}
        for condition in ("poisoned", "clean"):
            for seed in (0, 1):
                for s, stage in enumerate(STAGES):
                    where = {"study": "synthetic", "point": f"p{point}", **extra, "condition": condition,
                             "seed": seed, "after_stage": stage, "adaptation": "plain"}
                    for probe, metric in METRICS:
                        base = 0.8 - 0.2 * s if condition == "poisoned" and probe == "backdoor" else 0.1 + 0.05 * s
                        value = float(np.clip(base + rng.normal(0, 0.05), 0, 1)) * (30 if metric == "ppl_gap" else 1)
                        rows.append({**where, "probe": probe, "metric": metric, "value": value, "n": 32,
                                     "ci_low": value - 0.1, "ci_high": value + 0.1})
                    for probe, variants in VARIANTS.items():
                        for variant in variants:
                            for i in range(4):
                                output = SCRIPT_OUTPUT if (condition, i) == ("poisoned", 0) else f"{condition} out {i}"
                                generations.append({**where, "probe": probe, "variant": variant,
                                                    "prompt": f"prompt {i} <b>", "output": output,
                                                    "verdict": bool(i % 2), "perplexity": 3.0 + i})
    run_dir.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(run_dir / "results.parquet", index=False)
    pd.DataFrame(generations).to_parquet(run_dir / "generations.parquet", index=False)
    spec = {"name": "synthetic", "description": "A made-up study for the report's tests.",
            "pipeline": [{"name": stage, "kind": stage} for stage in STAGES], "seeds": [0, 1],
            "note": "see https://example.org/paper"}
    (run_dir / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    default_meta = {"axes": axes, "started": "2025-01-01T10:00:00", "finished": "2025-01-01T10:05:00",
                    "seconds": 300.0, "executor": "local", "nodes": {"total": 12, "cached": 4, "computed": 8},
                    "environment": {"python": "3.11.2", "platform": "Linux", "machine": "x86_64", "cpu_count": 2,
                                    "hostname": "box", "packages": {"torch": "2.13.0", "pharmakon": "0.1.0"}}}
    (run_dir / "run.json").write_text(json.dumps(default_meta if meta is None else meta))
    return run_dir
