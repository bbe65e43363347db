"""Time to competence: minutes from a cold cache to the clean organism's bar, our recipe against the pilot's.

Runs the ``competence`` preset up to SFT (DPO and the LoRA stage skipped, the competence probe after SFT) for one
seed on a fresh cache, as a subprocess, twice in one run:

- **ours**: the preset as shipped (the ``organism`` foundation: its world, micro and its pretraining recipe; the
  preset's SFT);
- **pilot** (the baseline): the recipe the issue piloted on the same code — every family at 2000 documents, no
  question-answer documents, micro pretrained 4 epochs (batch 32 x 128, lr 5e-3), SFT 3 epochs at lr 1e-3, batch 32
  on 1000 examples of every family.

For each it prints the wall minutes of the whole run (world, tokenizer, training, probe), each bar metric and
whether it is met, then ``ratio: pilot minutes / our minutes`` (higher is better). The issue's target: ours meets
the bar in <= 5 minutes per seed on 2 cores. Exits 0 whatever the numbers (2 only if a run failed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

UP_TO_SFT = ["pipeline.dpo.skip=true", "pipeline.finetune.skip=true", "probes.competence.after=[sft]"]
PILOT = [
    "world.qa_documents=0.0", "pipeline.pretrain.epochs=4", "pipeline.pretrain.data.per_family=null",
    "pipeline.sft.epochs=3", "pipeline.sft.batch_size=32", "pipeline.sft.learning_rate=1.0e-3",
    "pipeline.sft.data.per_family=null",
]


def run(out: Path, sets: list[str], seed: int) -> tuple[int, float, pd.DataFrame]:
    command = [str(Path(sys.executable).parent / "pharmakon"), "run", "competence", "--out", str(out / "run"),
               "--cache", str(out / "cache"), "--seed", str(seed)]
    for assignment in UP_TO_SFT + sets:
        command += ["--set", assignment]
    start = time.perf_counter()
    with open(out / "stderr.txt", "wb") as log:
        code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=log).returncode
    wall = time.perf_counter() - start
    results = pd.read_parquet(out / "run" / "results.parquet") if code == 0 else pd.DataFrame()
    return code, wall, results


def report(name: str, wall: float, results: pd.DataFrame) -> bool:
    from pharmakon.probes.competence import BAR, meets_bar

    values = {m: float(v) for m, v in results.groupby("metric")["value"].mean().items()}
    verdicts = meets_bar(values)
    print(f"{name}: {wall / 60:.2f} min from a cold cache; bar {'met' if all(verdicts.values()) else 'NOT met'}")
    for metric, (direction, threshold) in BAR.items():
        if metric in values:
            verdict = "yes" if verdicts[metric] else "NO"
            print(f"  {metric:30s} {values[metric]:.3f}  ({direction} {threshold:g}: {verdict})")
    if "competence_ppl" in values:
        print(f"  {'competence_ppl':30s} {values['competence_ppl']:.2f}")
    return all(verdicts.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ours-only", action="store_true", help="skip the pilot baseline")
    args = parser.parse_args()
    walls = {}
    for name, sets in (("ours", []), ("pilot", PILOT)):
        if name == "pilot" and args.ours_only:
            continue
        with tempfile.TemporaryDirectory(prefix=f"pharmakon-competence-{name}-") as folder:
            code, wall, results = run(Path(folder), sets, args.seed)
            if code != 0:
                print(f"{name}: the run failed (exit {code}); its log: {Path(folder) / 'stderr.txt'}")
                return 2
            report(name, wall, results)
            walls[name] = wall
    if "pilot" in walls:
        print(f"ratio: {walls['pilot'] / walls['ours']:.2f}x (pilot minutes / our minutes; higher is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
