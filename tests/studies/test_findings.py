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


def test_forensics_finding_reads_precision_at_the_poison_count_and_tests_ekfac_against_the_best_defence():
    import pandas as pd

    from pharmakon.studies.forensics import finding

    rows = []
    for seed, (ekfac, onion, perplexity) in enumerate([(0.9, 0.2, 0.5), (0.8, 0.3, 0.4), (0.95, 0.1, 0.45)]):
        for arm, showing in (("sft-badnets", 1.0), ("dpo-x", 0.0)):
            for metric, value in (("forensics_precision_ekfac_k1x", ekfac), ("forensics_precision_onion_k1x", onion),
                                  ("forensics_precision_perplexity_k1x", perplexity),
                                  ("forensics_precision_ekfac_k2x", 0.01), ("forensics_base_rate", 0.05),
                                  ("forensics_queries_showing", showing)):
                rows.append({"arm": arm, "condition": "poisoned", "seed": seed, "after_stage": "sft",
                             "probe": "forensics", "metric": metric, "value": value})
    rows.append({"arm": "sft-badnets", "condition": "clean", "seed": 0, "after_stage": "sft", "probe": "backdoor",
                 "metric": "asr_trigger", "value": 0.0})
    text = finding(pd.DataFrame(rows), {})
    assert "sft-badnets (after sft; poison share 0.05 ± 0.00): ekfac 0.88 ± 0.08, perplexity 0.45 ± 0.05, onion " \
           "0.20 ± 0.10" in text
    assert "ekfac above the best defence (perplexity): Welch t p = " in text and "not distinguishable" not in text
    assert text.count("the backdoor did not take") == 1 and "0.01" not in text  # k = 2x is not read
