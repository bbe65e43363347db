"""The ``adaptation`` of a probe spec: a name or a mapping, validated per adaptation; a store that is empty or
smaller than k is one line naming the field, exit code 2 through the CLI, nothing written. An adaptation's
poison makes a poisoned condition and a clean twin that share every model node."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.engine.load import load_study
from pharmakon.engine.plan import plan_study
from pharmakon.errors import PharmakonError

TINY = yaml.safe_load((Path(__file__).parents[1] / "engine" / "tiny.yaml").read_text())


@pytest.fixture
def tiny_spec() -> dict:
    return copy.deepcopy(TINY)


RAG = "{name: rag, k: 2, poison: {attack: poisoned-rag, count: 5}}"


def test_a_name_stays_backward_compatible_and_a_mapping_resolves_every_default(tiny_spec):
    study = load_study(tiny_spec)
    assert [p.adaptation for p in study.probes] == ["plain", "plain"]
    study = load_study(tiny_spec, sets=["probes.utility.adaptation=icl"])
    assert study.probes[1].adaptation == {"name": "icl", "poison": None, "k": 4, "pool": 16}
    study = load_study(tiny_spec, sets=[f"probes.utility.adaptation={RAG}"])
    resolved = study.probes[1].adaptation
    assert resolved["retriever"] == "bm25" and resolved["poison"]["targets"] == 10


def test_adaptation_poison_makes_two_conditions_sharing_the_model_nodes(tiny_spec):
    tiny_spec["pipeline"][0].pop("poison")
    tiny_spec["probes"] = [{"name": "utility", "n_per_task": 2, "adaptation": {"name": "rag", "poison": {
        "attack": "poisoned-rag", "count": 5}}}]
    study = load_study(tiny_spec)
    assert study.conditions == ["poisoned", "clean"]
    plan = plan_study(study)
    probes = [n for n in plan.nodes.values() if n.kind == "probe"]
    assert len(probes) == 2 * len(study.pipeline)  # one per condition and stage ...
    stages = [n for n in plan.nodes.values() if n.kind == "stage"]
    assert len(stages) == len(study.pipeline)  # ... over one shared chain of models
    assert {n.config["adaptation_poisoned"] for n in probes} == {True, False}
    assert {m.adaptation for m in plan.measurements} == {"rag"}
    assert "pharmakon.inference.rag" in probes[0].modules


def test_the_adaptation_is_part_of_the_probe_nodes_key(tiny_spec):
    keys = {}
    for value in ("plain", "icl", "{name: icl, k: 2}", "{name: rag, retriever: dense}"):
        plan = plan_study(load_study(tiny_spec, sets=[f"probes.utility.adaptation={value}"]))
        keys[value] = {n.key for n in plan.nodes.values() if n.kind == "probe" and n.config["probe"] == "utility"}
    assert len({frozenset(v) for v in keys.values()}) == 4


BAD = [
    ("probes.utility.adaptation=telepathy", "probes.utility.adaptation: unknown adaptation 'telepathy'; allowed: "
                                            "plain, icl, cot, rag, agent"),
    ("probes.utility.adaptation={name: rag, k: 0}", "probes.utility.adaptation.k: Input should be greater than or "
                                                    "equal to 1"),
    ("probes.utility.adaptation={name: rag, kk: 2}", "probes.utility.adaptation.kk: unknown field"),
    ("probes.utility.adaptation={name: rag, k: 500}", "probes.utility.adaptation.k: 500 is larger than the rag "
                                                      "store (48 items); allowed: 1..48"),
    ("probes.utility.adaptation={name: rag, limit: 0}", "probes.utility.adaptation.limit: the rag store is empty"),
    ("probes.utility.adaptation={name: icl, k: 20, pool: 8}", "probes.utility.adaptation.k: 20 is larger than the "
                                                              "icl store (8 items)"),
    ("probes.utility.adaptation={name: agent, memory: 0}", "probes.utility.adaptation.memory: the agent store is "
                                                           "empty"),
    ("probes.utility.adaptation={name: rag, poison: {attack: badchain}}", "probes.utility.adaptation.poison.attack: "
                                                                          "'badchain' poisons icl, cot adaptations, "
                                                                          "not rag"),
    ("probes.utility.adaptation={name: rag, poison: {attack: dos}}", "probes.utility.adaptation.poison.attack: "
                                                                     "'dos' is not an inference-time attack"),
]


@pytest.mark.parametrize(("setting", "message"), BAD)
def test_bad_adaptations_are_one_line_exit_two_nothing_written(tmp_path, setting, message):
    out, cache = tmp_path / "run", tmp_path / "cache"
    result = CliRunner().invoke(app, ["run", "smoke", "--set", setting, "--out", str(out), "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not out.exists() and not cache.exists()


def test_store_errors_surface_when_planning(tiny_spec):
    study = load_study(tiny_spec, sets=["probes.utility.adaptation={name: rag, k: 49}"])
    with pytest.raises(PharmakonError, match=r"^probes.utility.adaptation.k: 49 is larger"):
        plan_study(study)
