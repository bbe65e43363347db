"""The quickstart end to end: wall time and peak memory against their targets, and its headline numbers.

Runs ``pharmakon run quickstart --out <tmpdir>`` (the venv's console script next to ``sys.executable``) as
a subprocess under ``/usr/bin/time -v`` when present (else ``resource.getrusage(RUSAGE_CHILDREN)``), and
reports its wall seconds (target <= 180 s) and peak resident memory (target <= 4 GiB; the peak of the
largest single process, as ``time -v`` and ``getrusage`` report it). It then reads
``<tmpdir>/results.parquet`` and prints, after the ``pretrain`` stage, the backdoor probe's poisoned
``asr_trigger`` (target >= 0.8), clean ``asr_trigger`` (<= 0.05) and poisoned ``asr_no_trigger``
(<= 0.05), each with n and its confidence interval.

The run uses a fresh cache, so it is cold. Then the same study runs again on that cache into a new run dir
(every node cached): ``rerun ratio: rerun wall / cold wall`` (target <= 0.03). The cold run's baseline is the
target itself: ``ratio: wall / 180 s`` - lower is better, <= 1.00x meets the target. ``--study smoke`` checks
the script in seconds (nano model; its figures mean nothing). The script reports; it exits 0 whatever the
numbers (2 only if a run failed).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

WALL_TARGET_S = 180.0
RSS_TARGET_GIB = 4.0
CHECKS = (  # condition, metric, comparison, target
    ("poisoned", "asr_trigger", ">=", 0.8),
    ("clean", "asr_trigger", "<=", 0.05),
    ("poisoned", "asr_no_trigger", "<=", 0.05),
)


def met(value: float, comparison: str, target: float) -> str:
    ok = value >= target if comparison == ">=" else value <= target
    return "yes" if ok else "NO"


def run_quickstart(out: Path, study: str, extra: list[str], name: str = "run") -> tuple[int, float, float]:
    """Exit code, wall seconds and peak RSS in GiB of one run of ``study`` into ``out/name``."""
    command = [str(Path(sys.executable).parent / "pharmakon"), "run", study, "--out", str(out / name),
               "--cache", str(out / "cache"), *extra]
    time_bin = shutil.which("time", path="/usr/bin")
    report = out / "time.txt"
    if time_bin:
        command = [time_bin, "-v", "-o", str(report), *command]
    start = time.perf_counter()
    with open(out / "stderr.txt", "wb") as log:  # the run's own progress log
        code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=log).returncode
    wall = time.perf_counter() - start
    if time_bin and report.exists():
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read_text())
        peak_kib = int(found.group(1)) if found else 0
    else:
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    return code, wall, peak_kib / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="quickstart", help="preset to run (smoke: a quick check)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="run in this folder and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-quickstart-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        print(f"pharmakon run {args.study} --seed {args.seed} --out {out / 'run'} --cache {out / 'cache'}")
        code, wall, peak = run_quickstart(out, args.study, ["--seed", str(args.seed)])
        again, rerun, _ = run_quickstart(out, args.study, ["--seed", str(args.seed)], name="rerun")
        code = code or again
        print(f"\n{'measure':<34}{'value':>10}{'target':>10}{'met':>5}")
        print(f"{'wall time (s)':<34}{wall:>10.1f}{f'<= {WALL_TARGET_S:g}':>10}"
              f"{met(wall, '<=', WALL_TARGET_S):>5}")
        print(f"{'peak RSS (GiB)':<34}{peak:>10.2f}{f'<= {RSS_TARGET_GIB:g}':>10}"
              f"{met(peak, '<=', RSS_TARGET_GIB):>5}")
        results = out / "run" / "results.parquet"
        if code != 0 or not results.exists():
            tail = (out / "stderr.txt").read_text(errors="replace").splitlines()[-15:]
            print(f"quickstart failed (exit code {code}), no results; its stderr ends:", *tail, sep="\n")
        else:
            frame = pd.read_parquet(results)
            frame = frame[(frame["after_stage"] == "pretrain") & (frame["probe"] == "backdoor")]
            print(f"\nafter pretrain (backdoor probe){'':<4}{'value':>10}{'target':>10}{'met':>5}"
                  f"{'n':>6}{'ci_low':>8}{'ci_high':>8}")
            for condition, metric, comparison, target in CHECKS:
                row = frame[(frame["condition"] == condition) & (frame["metric"] == metric)]
                if row.empty:
                    print(f"{condition + ' ' + metric:<34}{'missing':>10}")
                    continue
                r = row.iloc[0]
                print(f"{condition + ' ' + metric:<34}{r['value']:>10.3f}{f'{comparison} {target:g}':>10}"
                      f"{met(r['value'], comparison, target):>5}{int(r['n']):>6}{r['ci_low']:>8.3f}"
                      f"{r['ci_high']:>8.3f}")
        print(f"rerun of the finished study (all nodes cached): {rerun:.2f}s")
        print(f"rerun ratio: {rerun / wall:.3f}x of the cold run (target <= 0.03)")
        ratio = wall / WALL_TARGET_S
        print(f"ratio: {ratio:.2f}x (target <= 1.00; wall / {WALL_TARGET_S:g} s, a constant target, not a timed "
              "baseline run; lower is better)")
    sys.exit(2 if code != 0 else 0)


if __name__ == "__main__":
    main()
