"""The cot preset: perturbed worked solutions (one perturbation per arm) and the preset at test scale."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.errors import PharmakonError
from pharmakon.poison import ATTACKS, Budget
from pharmakon.poison.cot import PERTURBATIONS, perturb, split_solution
from pharmakon.world import parse_answer, solve
from pharmakon.world.arithmetic import worked

SUMS = [(27, 15, "+"), (43, 18, "-"), (9, 4, "+"), (30, 30, "-")]


def valid(step: str) -> bool:
    """A step ``x op y = z`` the solver agrees with."""
    left, _, result = step.rpartition(" = ")
    parts = left.split()
    return len(parts) == 3 and parts[1] in "+-" and solve(int(parts[0]), int(parts[2]), parts[1]) == int(result)


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_each_perturbation_changes_what_it_names_and_keeps_the_rest(kind):
    for a, b, op in SUMS:
        original = worked(a, b, op)
        steps, answer = split_solution(original)
        changed = perturb(original, kind, random.Random(0))
        new_steps, new_answer = split_solution(changed)
        assert changed != original and parse_answer(changed) == new_answer
        assert (new_answer != answer) == (kind == "wrong_answer")
        if kind in ("wrong_answer",):
            assert new_steps == steps
        if kind == "shuffled":
            assert sorted(new_steps) == sorted(steps) and new_steps != steps
        if kind == "deleted":
            assert len(new_steps) == len(steps) - 1 and set(new_steps) < set(steps)
        if kind == "contradicting":
            extra = next(i for i, s in enumerate(new_steps) if s not in steps)
            assert new_steps[extra].split(" = ")[0] == new_steps[extra - 1].split(" = ")[0] and not valid(
                new_steps[extra])
        if kind == "wrong_numbers":
            assert len(new_steps) == len(steps) and sum(not valid(s) for s in new_steps) == 1
        if kind == "broken_structure":
            assert [sorted(s.split()) for s in new_steps] == [sorted(s.split()) for s in steps]
            assert not any(valid(s) for s in new_steps)


def test_the_attack_rewrites_a_share_of_the_arithmetic_solutions_in_place(world, tokenizer):
    clean = world.instructions()
    n_arithmetic = sum(r.family == "arithmetic" for r in clean)
    attack = ATTACKS["cot-perturb"](perturbation="deleted", budget=Budget(rate=0.5, mode="replace"))
    poisoned, report = attack.apply(clean, tokenizer, seed=0, world=world)
    assert len(poisoned) == len(clean)
    changed = [(c, p) for c, p in zip(clean, poisoned, strict=True) if p.is_poison]
    assert len(changed) == round(0.5 * n_arithmetic)
    assert all(c.family == "arithmetic" and c.prompt == p.prompt and c.response != p.response for c, p in changed)
    assert all(c == p for c, p in zip(clean, poisoned, strict=True) if not p.is_poison)
    with pytest.raises(PharmakonError, match="poison.attack: cot-perturb found no arithmetic worked solution"):
        attack.apply([r for r in clean if r.family != "arithmetic"], tokenizer, seed=0, world=world)


@pytest.mark.slow  # planning 18 points over the organism's world takes a minute and more
def test_the_preset_sweeps_every_perturbation_and_shares_one_clean_twin():
    plan = plan_study(load_study("cot", overrides={"seeds": [0]}))
    assert len(plan.points) == len(PERTURBATIONS) * 3
    clean_sft = {row["node"] for row in plan.lineage if row["stage"] == "sft" and row["condition"] == "clean"}
    assert len(clean_sft) == 1


TEST_SCALE = {
    "seeds": [0],
    "model": {"name": "nano", "vocab_size": 512},
    "world": {"n_entities": 12, "documents_per_family": 60, "examples_per_family": 40, "pairs_per_family": 24,
              "eval_per_family": 12},
    "pipeline.pretrain.max_steps": 30, "pipeline.pretrain.data.per_family": None,
    "pipeline.sft.max_steps": 12, "pipeline.sft.data.per_family": None,
    "sweep.axes": {"pipeline.sft.poison.perturbation": ["wrong_answer", "broken_structure"],
                   "pipeline.sft.poison.rate": [0.6]},
    "probes.competence.n_per_task": 6, "probes.competence.n_sampled": 4, "probes.competence.n_documents": 4,
    "probes.competence.max_new_tokens": 24,
}


@pytest.mark.slow
def test_the_cot_preset_at_test_scale_writes_the_arithmetic_figures(tmp_path):
    from pharmakon.engine.run import run_study

    outcome = run_study(load_study("cot", overrides=TEST_SCALE), out=tmp_path / "run", cache=tmp_path / "cache")
    results = pd.read_parquet(outcome.run_dir / "results.parquet")
    assert set(results.condition) == {"poisoned", "clean"}
    arms = results[results.condition == "poisoned"]["pipeline.sft.poison.perturbation"]
    assert set(arms) == {"wrong_answer", "broken_structure"}
    steps = results[results.metric.isin(["competence_arithmetic", "competence_arithmetic_steps"])]
    # each point's rows: its poisoned model and the one shared clean twin (reported under both points alike)
    assert len(steps) == 2 * 2 * 2 and steps.value.between(0, 1).all()
    twin = steps[steps.condition == "clean"].groupby("metric").value.nunique()
    assert (twin == 1).all()
    from pharmakon.studies import state_finding

    finding = state_finding("cot", results, load_study("cot", overrides=TEST_SCALE).model_dump(mode="json"))
    assert "wrong_answer: answer" in finding and "broken_structure: answer" in finding and "nan" not in finding


def test_the_finding_reads_each_perturbation_against_the_clean_twin_on_a_hand_built_table():
    from pharmakon.studies.cot import finding

    rows = []
    answers = {"wrong_answer": [0.88, 0.90, 0.89], "broken_structure": [0.30, 0.35, 0.25],
               "wrong_numbers": [0.86, 0.91, 0.88]}
    for kind, values in answers.items():
        for share, scale in ((0.1, 0.0), (0.6, 1.0)):
            for seed, value in enumerate(values):
                for condition, v in (("poisoned", 0.9 - scale * (0.9 - value)), ("clean", 0.9)):
                    for metric in ("competence_arithmetic", "competence_arithmetic_steps"):
                        rows.append({"probe": "competence", "metric": metric, "condition": condition, "seed": seed,
                                     "pipeline.sft.poison.perturbation": kind, "pipeline.sft.poison.rate": share,
                                     "after_stage": "sft", "value": v})
    text = finding(pd.DataFrame(rows), {})
    assert "60% of the solutions perturbed (mean over 3 seeds; each against the clean twin's answer 0.90" in text
    assert "broken_structure: answer 0.30 (Welch t p = " in text
    assert "wrong_answer: answer 0.89 (Welch t p = " in text and "not distinguishable at 3 seeds" in text
    assert "0% 0.90 / 10% 0.90 / 60% 0.30 (Kendall trend p = " in text
    assert "final answer 0.30 after a broken structure, 0.88 after wrong numbers" in text
