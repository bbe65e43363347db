"""The competence preset: the clean organism's bar, and the foundation it shares with other presets."""

from __future__ import annotations

import pandas as pd
import pytest

from pharmakon.engine.load import load_study, presets, raw_data
from pharmakon.engine.plan import plan_study
from pharmakon.errors import PharmakonError
from pharmakon.probes import PROBES
from pharmakon.probes.competence import BAR, meets_bar
from pharmakon.studies.foundations import apply_foundation, foundation_config

# the competence preset at test scale: nano on a small world, a few steps a stage, one seed
TEST_SCALE = {
    "seeds": [0],
    "model": {"name": "nano", "vocab_size": 512},
    "world": {"n_entities": 12, "documents_per_family": 60, "examples_per_family": 40, "pairs_per_family": 24,
              "eval_per_family": 12},
    "pipeline.pretrain.max_steps": 60, "pipeline.pretrain.data.per_family": None,
    "pipeline.sft.max_steps": 20, "pipeline.sft.data.per_family": None,
    "pipeline.dpo.max_steps": 4, "pipeline.finetune.max_steps": 4, "pipeline.finetune.data.per_family": None,
    "probes.competence.n_per_task": 8, "probes.competence.n_sampled": 8, "probes.competence.n_documents": 8,
    "probes.competence.max_new_tokens": 16,
}


def foundation_users() -> list[str]:
    """Presets that pretrain the organism foundation (the quickstart names the shipped checkpoint instead)."""
    return sorted(name for name, path in presets().items()
                  if raw_data(path).get("foundation") == "organism" and "model" not in raw_data(path))


def pretrain_nodes(name: str, seed: int) -> dict[str, set[str]]:
    """The pretraining stage nodes of preset ``name`` at ``seed``, by condition (a sweep over models has several)."""
    plan = plan_study(load_study(name, overrides={"seeds": [seed]}))
    nodes: dict[str, set[str]] = {}
    for row in plan.lineage:
        if row["stage"] == "pretrain":
            nodes.setdefault(row["condition"], set()).add(row["node"])
    return nodes


def test_several_presets_start_from_the_organism_foundation():
    assert {"competence", "instruction"} <= set(foundation_users())


def test_two_presets_share_the_foundation_node():
    """The content-addressed cache pretrains once: competence's (clean) pretraining node is the same node as the
    clean twin's pretraining in every other preset that starts from the foundation."""
    (shared,) = pretrain_nodes("competence", 1)["clean"]
    for name in foundation_users():  # (moe also pretrains the foundation's recipe on micro-moe)
        assert shared in pretrain_nodes(name, 1)["clean"], name
    assert shared not in pretrain_nodes("competence", 2)["clean"]  # one foundation per seed


def test_the_foundation_fills_in_and_the_spec_wins():
    base = foundation_config("organism")
    data = apply_foundation({"name": "x", "seeds": [0], "foundation": "organism", "world": {"seed": 3},
                             "pipeline": [{"kind": "sft", "learning_rate": 1e-3}]})
    assert data["world"] == {**base["world"], "seed": 3}
    assert data["pipeline"][0] == {"kind": "pretrain", **base["pretrain"]}
    assert data["pipeline"][1]["kind"] == "sft"
    assert apply_foundation(data) == data  # applying it twice changes nothing
    poisoned = apply_foundation({"foundation": "organism", "pipeline": [{"kind": "pretrain", "epochs": 1,
                                                                         "poison": {"attack": "dos", "count": 4}}]})
    assert poisoned["pipeline"][0]["epochs"] == 1 and poisoned["pipeline"][0]["poison"]["count"] == 4
    assert poisoned["pipeline"][0]["learning_rate"] == base["pretrain"]["learning_rate"]


def test_an_unknown_foundation_is_one_line():
    with pytest.raises(PharmakonError, match="foundation: unknown foundation 'nope'; allowed: organism"):
        load_study({"name": "x", "seeds": [0], "foundation": "nope"})


def test_meets_bar_reads_each_direction():
    assert meets_bar({"competence_sentiment": 0.97, "competence_overrefusal": 0.04}) == {
        "competence_sentiment": True, "competence_overrefusal": False}
    assert set(BAR) <= set(PROBES["competence"].metrics)


@pytest.mark.slow
def test_the_competence_preset_at_test_scale_writes_every_figure(tmp_path):
    from pharmakon.engine.run import run_study

    study = load_study("competence", overrides=TEST_SCALE)
    outcome = run_study(study, out=tmp_path / "run", cache=tmp_path / "cache")
    run_dir = outcome.run_dir
    results = pd.read_parquet(run_dir / "results.parquet")
    assert set(results.condition) == {"clean"}
    assert list(dict.fromkeys(results.after_stage)) == ["sft", "dpo", "finetune"]
    for stage, frame in results.groupby("after_stage"):
        assert set(frame.metric) == set(PROBES["competence"].metrics), stage
    rates = results[results.metric != "competence_ppl"]
    assert rates.value.between(0, 1).all() and (rates.n > 0).all()
    assert (results[results.metric == "competence_ppl"].value > 1).all()
    generations = pd.read_parquet(run_dir / "generations.parquet")
    assert {"competence_facts", "competence_arithmetic_steps", "competence_gibberish"} <= set(generations.variant)
