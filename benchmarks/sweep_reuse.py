"""A 4-point sweep over a DPO parameter against four independent cold runs of the same points.

The study is the quickstart's pipeline up to DPO (pretrain with the DoS poison → SFT → DPO, micro model, clean
twin, backdoor and utility probes after every stage), swept over ``pipeline.dpo.beta``. The sweep runs once
on a fresh cache: pretraining and SFT are computed once and shared by the four points. The baseline runs each
point alone, each on its own fresh cache, as four separate ``pharmakon run`` commands. Both sides run here, one
after the other, through the console script; the final line is ``ratio: sweep wall / baseline wall``
(target <= 0.4). ``--study smoke`` checks the script in seconds (its ratio is dominated by start-up).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

BETAS = (0.05, 0.1, 0.2, 0.4)
PHARMAKON = str(Path(sys.executable).parent / "pharmakon")


def spec_without_finetune(study: str, folder: Path) -> Path:
    from pharmakon.engine.load import load_study

    data = load_study(study).model_dump(mode="json")
    data["pipeline"] = [stage for stage in data["pipeline"] if stage["kind"] != "finetune"]
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def timed_run(spec: Path, out: Path, cache: Path, sets: list[str]) -> float:
    start = time.perf_counter()
    command = [PHARMAKON, "run", str(spec), "--out", str(out), "--cache", str(cache)]
    for assignment in sets:
        command += ["--set", assignment]
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        sys.exit(f"run failed: {' '.join(command)}\n{completed.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="quickstart", help="preset whose pipeline (minus finetune) is swept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        folder = Path(tmp)
        spec = spec_without_finetune(args.study, folder)
        axis = "{pipeline.dpo.beta: [" + ", ".join(map(str, BETAS)) + "]}"
        sweep = timed_run(spec, folder / "sweep", folder / "sweep-cache", [f"sweep.axes={axis}"])
        print(f"sweep over pipeline.dpo.beta {list(BETAS)} (one cache): {sweep:.1f}s")
        singles = []
        for beta in BETAS:
            singles.append(timed_run(spec, folder / f"single-{beta}", folder / f"cache-{beta}",
                                     [f"pipeline.dpo.beta={beta}"]))
            print(f"cold run at beta={beta} (own cache): {singles[-1]:.1f}s")
        swept = pd.read_parquet(folder / "sweep" / "results.parquet")
        alone = pd.read_parquet(folder / f"single-{BETAS[-1]}" / "results.parquet")
        same = swept[swept["pipeline.dpo.beta"] == BETAS[-1]].value.reset_index(drop=True)
        print(f"same values as the cold run at beta={BETAS[-1]}: {same.equals(alone.value.reset_index(drop=True))}")
        baseline = sum(singles)
        print(f"four cold runs: {baseline:.1f}s")
        print(f"ratio: {sweep / baseline:.2f}x (target <= 0.4; sweep wall / four cold runs, lower is better)")


if __name__ == "__main__":
    main()
