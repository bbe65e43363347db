"""The typed config of each kind of node the engine plans (``engine/kinds.py`` names one per kind).

The plan builds a node's config as JSON (the node's key hashes that JSON, so keys do not move when a model here
does); ``Plan.add`` validates it against its kind's model and refuses, in one line, a field the kind does not
read or a value of the wrong type, and the runner receives the model, not a dict. Fields that carry a spec item
of their own layer (an attack's, a vector's, a defence's, a probe's or a recipe's parameters) stay mappings here
and are validated by that item when the runner builds it: this module imports nothing heavier than the world's
config, because every node's code version hashes it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from pharmakon.engine.data_spec import DataSpec
from pharmakon.world import WorldConfig


class NodeConfig(BaseModel):
    """A node kind's config: only the fields the kind reads."""

    model_config = ConfigDict(extra="forbid")


class FileRef(NodeConfig):
    """A local file (a dataset, a real model's weights) and the content hash its node is keyed on."""

    path: str
    sha256: str


class DataKey(DataSpec):
    """A stage's ``data`` as a data node sees it: the spec's fields, and the hash of its file when it names one."""

    sha256: str | None = None


class InWorld(NodeConfig):
    """A node that reads the world (and the local dataset, if the study names one)."""

    world: WorldConfig
    dataset: FileRef | None = None


class TokenizerNode(InWorld):
    """``tokenizer``: a byte-level BPE trained on the clean world text."""

    vocab_size: int


class InitNode(NodeConfig):
    """``init``: the tiny model built from its seed."""

    model: str  # a tiny size's name (`pharmakon list models`)


class DataNode(InWorld):
    """``data``: a stage's clean records, poisoned when ``poison`` is set, sent through ``vector`` and cleaned by
    ``clean`` when they are."""

    record_kind: Literal["document", "example", "pair"]
    data: DataKey
    poison: dict[str, Any] | None  # a PoisonSpec's fields (the condition decides: None on the clean twin)
    vector: dict[str, Any] | None = None  # a VectorSpec's
    clean: list[dict[str, Any]] | None = None  # DefenseSpecs'


class PrepareNode(NodeConfig):
    """``prepare``: a stage's columns that depend on its input model and data only (DPO's reference log-probs)."""

    kind: str  # the stage's kind
    fields: dict[str, Any]  # the recipe fields the preparation reads


class StageNode(NodeConfig):
    """``stage``: a recipe trained on its data."""

    kind: str  # the stage's kind (`pharmakon list stages`)
    recipe: dict[str, Any]  # the stage's config fields, every default filled in


class ProbePrepareNode(InWorld):
    """``probe-prepare``: the part of a probe that reads no poison, computed once for every arm that shares the
    model."""

    probe: str
    config: dict[str, Any]  # the probe's config fields
    adaptation: str | dict[str, Any]  # "plain", or an adaptation spec's fields
    adaptation_poisoned: bool = False  # the adaptation's own poison is planted (poisoned condition)
    style: Literal["chat", "document"]
    threads: int
    stage: dict[str, Any] | None = None  # the stage's kind and recipe, for a probe that retrains it


class ProbeNode(ProbePrepareNode):
    """``probe``: metric and generation rows of one probe on one model."""

    poison: dict[str, Any] | None = None  # the pipeline's poison, where the probe reads it
    later_poison: list[dict[str, Any]] | None = None  # later stages' poison (probes see it too)


class RealTokenizerNode(NodeConfig):
    """``real_tokenizer``: a real model's own tokenizer (its chat template dropped when ``chat`` is false)."""

    source: FileRef
    chat: bool | None = None


class ConvertNode(NodeConfig):
    """``convert``: a real model's weights as an HF directory with safetensors."""

    source: FileRef
