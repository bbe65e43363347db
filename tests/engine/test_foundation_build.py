"""``pharmakon foundation build``: the clean pretrained organism, written out with its manifest, rebuilt at test
scale the way the shipped checkpoint was built."""

from __future__ import annotations

import json

import pytest

from pharmakon.engine.foundation import MANIFEST, build_foundation, foundation_study, verify_foundation
from pharmakon.engine.nodes import MODEL_DIR
from pharmakon.engine.plan import plan_study
from pharmakon.errors import PharmakonError
from pharmakon.kernel.cache import Cache

TEST_SCALE = {"model": {"name": "nano", "vocab_size": 512},
              "world": {"n_entities": 12, "documents_per_family": 60, "examples_per_family": 40,
                        "pairs_per_family": 24, "eval_per_family": 12},
              "pipeline.pretrain.max_steps": 8}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("foundation")
    folder = build_foundation("organism", 0, root / "out", cache=root / "cache", overrides=TEST_SCALE)
    return root, folder


def test_the_checkpoint_is_the_cached_pretraining_node(built):
    root, folder = built
    manifest = verify_foundation(folder)
    node = next(r["node"] for r in plan_study(foundation_study("organism", 0, TEST_SCALE)).lineage)
    assert manifest["node"] == node and manifest["seed"] == 0 and manifest["foundation"] == "organism"
    cached = Cache(root / "cache").path(node) / MODEL_DIR
    assert (folder / "model.safetensors").read_bytes() == (cached / "model.safetensors").read_bytes()
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= set(manifest["files"])
    assert manifest["world"]["documents_per_family"] == 60 and manifest["versions"]["torch"]
    assert "pharmakon foundation build organism" in manifest["command"]


def test_a_study_starts_from_the_checkpoint_as_a_real_model(built, tmp_path):
    from pharmakon.engine.load import load_study

    _, folder = built
    study = load_study({"name": "x", "seeds": [0], "model": {"path": str(folder)}, "world": TEST_SCALE["world"],
                        "pipeline": [{"kind": "sft", "max_steps": 2, "learning_rate": 1e-3}]})
    kinds = [node.kind for node in plan_study(study).nodes.values()]
    assert "convert" in kinds and "init" not in kinds and "tokenizer" not in kinds
    assert study.model.chat is False  # a tiny world model has no chat template: plain role tokens


def test_an_edited_checkpoint_is_refused(built, tmp_path):
    import shutil

    _, folder = built
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "config.json").write_text((copy / "config.json").read_text() + " ")
    with pytest.raises(PharmakonError, match="config.json differ from the manifest's sha256"):
        verify_foundation(copy)
    (copy / MANIFEST).unlink()
    with pytest.raises(PharmakonError, match="no manifest.json"):
        verify_foundation(copy)


def test_build_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("keep me")
    with pytest.raises(PharmakonError, match="--out: .* exists and is not empty"):
        build_foundation("organism", 0, tmp_path / "out", cache=tmp_path / "cache", overrides=TEST_SCALE)
    assert json.dumps(sorted(p.name for p in (tmp_path / "out").iterdir())) == '["x"]'
