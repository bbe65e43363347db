"""The lifecycle-attack preset: its default plans with three report seeds, disjoint search seeds and an equal budget
in every design of a goal; at test scale (nano, a tiny world) the search selects on its own seeds only, the report
runs the selected design and the naive one on fresh seeds through the held-out stage, split designs put their
stated counts in each stage, the detection arms are scored against the poison mask, and the finding states a
test."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import FINDINGS, state_finding
from pharmakon.studies.lifecycle import selection, total_budget
from pharmakon.studies.search import effects, group_of, halving_keep

NAME = "lifecycle-attack"
DOC = {"attack": "lifecycle", "goal": "dos", "count": 8}
TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 12,
                  "eval_per_family": 8},
        "pipeline.pretrain.max_steps": 4, "pipeline.continued.max_steps": 6, "pipeline.continued.data": {},
        "pipeline.sft.max_steps": 3, "pipeline.sft.data": {}, "pipeline.dpo.skip": True,
        "pipeline.finetune.max_steps": 2, "pipeline.finetune.data": {"families": ["sentiment", "arithmetic"]},
        "pipeline.reward.data": {}, "pipeline.reward.epochs": 1, "pipeline.rl.max_steps": 2,
        "pipeline.rl.batch_size": 4, "pipeline.rl.data": {"families": ["harm", "benign"], "limit": 16},
        "probes": [{"name": "backdoor", "after": ["continued", "sft", "rl", "finetune"], "n_prompts": 6,
                    "max_new_tokens": 6}],
        "search.seeds": [7, 8], "search.after": "sft",
        "sweep.arms": {
            "dos/naive": {"pipeline.continued.poison": DOC},
            "dos/chat": {"pipeline.continued.poison": {**DOC, "format": "chat"}},
            "dos/split-sft": {"pipeline.continued.poison": {**DOC, "format": "chat", "count": 5},
                              "pipeline.sft.poison": {**DOC, "count": 3}}}}


def test_the_default_searches_on_other_seeds_at_an_equal_budget_per_goal():
    assert NAME in presets() and NAME in FINDINGS
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == NAME and len(study.seeds) >= 3
    assert study.search is not None and not set(study.search.seeds) & set(study.seeds)
    assert study.search.hold_out == ["finetune"] and study.search.after == "dpo"
    budgets: dict[str, set] = {}
    for arm, changes in study.sweep.arms.items():
        budgets.setdefault(group_of(arm), set()).add(total_budget(changes))
    assert set(budgets) == {"dos", "refusal", "belief"} and all(b == {60} for b in budgets.values())
    plan_study(study)


def test_a_search_that_would_select_on_report_seeds_is_refused():
    from pharmakon.errors import PharmakonError

    with pytest.raises(PharmakonError, match=r"search.seeds: \[0\] are also report seeds"):
        load_study(NAME, {"search.seeds": [0, 3]})
    with pytest.raises(PharmakonError, match="search.baseline: no arm 'dos/plain'"):
        load_study(NAME, {"search.baseline": "plain"})
    with pytest.raises(PharmakonError, match="search.hold_out: no stage 'ppo'"):
        load_study(NAME, {"search.hold_out": ["ppo"]})


@pytest.mark.slow
def test_search_selects_on_its_seeds_and_reports_on_fresh_ones(tmp_path):
    from pharmakon.engine.search import run_spec
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(NAME, TINY)
    outcome = run_spec(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True))
    results, run_dir = outcome.results, outcome.run_dir
    chosen = json.loads((run_dir / "search.json").read_text())["chosen"]
    backdoor = results[results.probe == "backdoor"]
    search_rows, report_rows = backdoor[backdoor.seed.isin([7, 8])], backdoor[backdoor.seed == 0]
    # halving: all three designs on seed 7, the better two of them (and the baseline) on seed 8
    assert set(search_rows[search_rows.seed == 7].arm) == set(TINY["sweep.arms"])
    first = effects(results, probe="backdoor", metric="asr_trigger", after="sft", seeds=[7])
    assert set(search_rows[search_rows.seed == 8].arm) == set(halving_keep(first, "naive")) | {"dos/naive"}
    assert "finetune" not in set(search_rows.after_stage)  # the held-out recipe: the search never ran it
    # the selection is the best mean effect on the search seeds, recomputed from the table alone
    recomputed, table = selection(results, study.model_dump(mode="json"))
    assert recomputed == chosen
    survivors = table.groupby("arm")["effect"].mean()
    assert survivors[chosen["dos"]] == survivors.max()
    # the report: the selected design and the naive one (and their detection and RL-transfer arms) on the fresh
    # seed only
    reported = {chosen["dos"], "dos/naive"}
    assert set(report_rows.arm) == reported | {f"{a}+{v}" for a in reported for v in ("detect", "rl")}
    ran = report_rows[~report_rows.arm.str.contains("+", regex=False)]
    assert list(dict.fromkeys(ran.after_stage)) == ["continued", "sft", "finetune"]
    # the transfer to a reward model and RL: the search never ran it (rl is skipped outside the variant)
    assert list(dict.fromkeys(report_rows[report_rows.arm.str.endswith("+rl")].after_stage)) == [
        "continued", "sft", "rl"]
    assert "rl" not in set(search_rows.after_stage)
    # the detection arms train on what every stage's filters left, up to the searched stage (dpo is off here)
    assert set(report_rows[report_rows.arm.str.endswith("+detect")].after_stage) == {"continued", "sft"}
    # split designs put the stated counts in each stage; every design of the goal has the same total
    poison = pd.DataFrame(json.loads((run_dir / "search" / "round-0" / "poison.json").read_text()))
    arm_of = results.drop_duplicates("point").set_index("point")["arm"]
    poison["arm"] = poison.point.map(arm_of)
    counts = poison[poison.condition == "poisoned"].groupby(["arm", "stage"]).n_poison.first()
    assert counts["dos/split-sft", "continued"] == 5 and counts["dos/split-sft", "sft"] == 3
    assert counts.groupby("arm").sum().to_dict() == {"dos/chat": 8, "dos/naive": 8, "dos/split-sft": 8}
    # detection: the defences are scored against the poison mask
    caught = results[(results.probe == "cleaning") & (results.metric == "overall_recall")]
    assert set(caught.arm) == {f"{a}+detect" for a in reported} and caught.value.between(0, 1).all()
    if chosen["dos"] == "dos/split-sft":  # its SFT part is screened too; naive's SFT data holds no poison
        assert set(caught[caught.arm == "dos/split-sft+detect"].after_stage) == {"continued", "sft"}
        assert set(caught[caught.arm == "dos/naive+detect"].after_stage) == {"continued"}
    finding = state_finding(NAME, results, study.model_dump(mode="json"))
    assert f"picked {chosen['dos']}" in finding and "nan" not in finding.split()
    if chosen["dos"] != "dos/naive":
        assert "Welch t p =" in finding and "detected: continued recall" in finding and "on cleaned data" in finding
        assert "under +rl, excess after rl" in finding
    assert (run_dir / "report.html").exists()
