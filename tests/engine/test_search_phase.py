"""A search study's two phases, planned without training: the search skips the held-out stage and probes only
what it selects by; the report runs every stage, with each reported arm's variants; a plain run refuses it."""

from __future__ import annotations

import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.search import phase
from pharmakon.errors import PharmakonError

ARMS = {"dos/naive": {"pipeline.continued.poison": {"attack": "lifecycle", "count": 8}},
        "dos/chat": {"pipeline.continued.poison": {"attack": "lifecycle", "format": "chat", "count": 8}}}
SMALL = {"model.name": "nano", "model.vocab_size": 400, "seeds": [0, 1],
         "world": {"n_entities": 12, "documents_per_family": 30, "examples_per_family": 16, "pairs_per_family": 12,
                   "eval_per_family": 8}, "sweep.arms": ARMS}


@pytest.fixture(scope="module")
def study():
    return load_study("lifecycle-attack", SMALL)


def test_the_search_phase_holds_out_its_stage_and_probes_only_after_the_selected_one(study):
    searched = phase(study, study.search.seeds, list(ARMS), True)
    assert searched.search is None and searched.seeds == study.search.seeds
    # the held-out stage, beside the stages the preset keeps off outside its rl variant
    assert [s.name for s in searched.pipeline if s.skip] == ["reward", "rl", "finetune"]
    assert [(p.name, p.after) for p in searched.probes] == [("backdoor", ["dpo"])]
    assert set(searched.sweep.arms) == set(ARMS)


def test_the_report_phase_runs_every_stage_and_adds_the_variants(study):
    report = phase(study, study.seeds, ["dos/chat", "dos/naive"], False)
    assert report.seeds == [0, 1] and [s.name for s in report.pipeline if s.skip] == ["reward", "rl"]
    assert set(report.sweep.arms) == {f"{arm}{variant}" for arm in ("dos/chat", "dos/naive")
                                      for variant in ("", "+detect", "+rl")}
    rl = report.sweep.arms["dos/chat+rl"]
    assert rl["pipeline.dpo.skip"] is True and rl["pipeline.reward.skip"] is False and rl["pipeline.rl.skip"] is False
    detect = report.sweep.arms["dos/chat+detect"]
    assert detect["pipeline.continued.poison"]["format"] == "chat" and detect["pipeline.finetune.skip"] is True
    assert [d["name"] for d in detect["pipeline.continued.clean"]] == ["dedup", "quality"]


def test_a_plain_run_refuses_a_search_study(study, tmp_path):
    from pharmakon.engine.run import run_study

    with pytest.raises(PharmakonError, match="search: this study searches its designs in two phases"):
        run_study(study, tmp_path / "run", tmp_path / "cache")


def test_a_study_without_a_search_dumps_no_search_field():
    assert "search" not in load_study("persistence").model_dump(mode="json")
