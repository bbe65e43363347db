"""Probes of the starting model (``after: [base]``): a baseline before any stage, and a study with no stage at
all (an inference-time attack on a model as given)."""

from __future__ import annotations

import pandas as pd
import pytest

from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.engine.run import run_study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache
from pharmakon.kernel.progress import StudyProgress


def test_a_base_probe_reads_the_initial_model_and_is_shared_by_both_conditions(tiny_spec):
    tiny_spec["probes"][1]["after"] = ["base", "sft"]
    plan = plan_study(load_study(tiny_spec))
    base = [m for m in plan.measurements if m.after_stage == "base"]
    assert {m.condition for m in base} == {"poisoned", "clean"} and {m.probe for m in base} == {"utility"}
    node = plan.nodes[base[0].node]
    assert plan.nodes[node.inputs["model"]].kind == "init"
    assert len({m.node for m in base}) == 1  # the untrained model is one node for both conditions
    assert not [m for m in plan.measurements if m.after_stage == "base" and m.probe == "backdoor"]  # default: stages


def test_a_study_without_stages_probes_the_model_as_given(tmp_path, tiny_spec):
    tiny_spec["pipeline"] = []
    tiny_spec["probes"] = [tiny_spec["probes"][1]]
    study = load_study(tiny_spec)
    outcome = run_study(study, tmp_path / "run", Cache(tmp_path / "cache"), StudyProgress(live=False, quiet=True))
    results = pd.read_parquet(outcome.run_dir / "results.parquet")
    assert set(results.after_stage) == {"base"} and set(results.condition) == {"clean"}
    assert results["value"].notna().all() and (outcome.run_dir / "report.html").is_file()


@pytest.mark.parametrize(("change", "message"), [
    ({"probes.utility.after": ["bass"]}, "probes.utility.after: no stage 'bass'; allowed: pretrain, sft, dpo or base"),
    ({"pipeline.sft.name": "base"}, "pipeline: 'base' names the starting model"),
])
def test_base_is_reserved_and_misspellings_are_named(tiny_spec, change, message):
    with pytest.raises(PharmakonError, match=message):
        load_study(tiny_spec, change)
