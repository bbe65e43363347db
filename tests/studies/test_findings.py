"""Findings on hand-built results tables with known answers."""

import pandas as pd

from pharmakon.studies.findings import instruction, last_stage


def table(dirty: list[float], clean: list[float]) -> pd.DataFrame:
    rows = []
    for stage, scale in (("dpo", 1.0), ("sft", 0.0)):  # the table's last rows are sft's, not the pipeline's last
        for arm, values in (("badnets-dirty", dirty), ("badnets-clean", clean)):
            for seed, value in enumerate(values):
                for condition, v in (("poisoned", value * scale), ("clean", 0.0)):
                    for metric in ("asr_trigger", "asr_no_trigger"):
                        rows.append({"probe": "backdoor", "metric": metric, "condition": condition, "arm": arm,
                                     "after_stage": stage, "seed": seed, "value": v if metric == "asr_trigger" else 0})
    return pd.DataFrame(rows)


SPEC = {"pipeline": [{"kind": "sft"}, {"kind": "dpo"}]}


def test_instruction_reads_the_pipelines_last_stage_and_prints_its_test():
    apart = instruction(table([0.90, 0.91, 0.92], [0.10, 0.11, 0.12]), SPEC)
    assert "after dpo" in apart and "dirty label 0.91, clean label 0.11" in apart
    assert "Welch t p = " in apart and "not distinguishable" not in apart
    close = instruction(table([0.19, 0.40, 0.00], [0.07, 0.15, 0.00]), SPEC)
    assert "not distinguishable at 3 seeds" in close
    assert last_stage(table([0.1, 0.2], [0.1, 0.2]), {}) == "sft"  # no pipeline in the spec: the table's
