"""The engine's node kinds, declared: each kind's typed config (``engine/node_configs.py``), its runner and the
input roles it reads (``kernel/kinds.py``)."""

from __future__ import annotations

from pharmakon.engine import node_configs as typed
from pharmakon.kernel.kinds import NodeKind
from pharmakon.registry import Registry

NODES = "pharmakon.engine.nodes"
"""The engine module that runs every kind of node: each node is rooted at the functions that run its kind, so a
data node's key does not hash the probe runner's imports."""
REAL = "pharmakon.engine.real_nodes"

KINDS = Registry("node kind", "plan")
for _kind in (
    NodeKind("tokenizer", typed.TokenizerNode, f"{NODES}:run_tokenizer"),
    NodeKind("init", typed.InitNode, f"{NODES}:run_init", needs=("tokenizer",)),
    NodeKind("data", typed.DataNode, f"{NODES}:run_data", needs=("tokenizer",),
             may=("model",)),  # model: crafting or scoring
    NodeKind("prepare", typed.PrepareNode, f"{NODES}:run_prepare", needs=("model", "data", "tokenizer"),
             may=("reward_model",)),
    NodeKind("stage", typed.StageNode, f"{NODES}:run_stage", needs=("model", "data", "tokenizer"),
             may=("reward_model", "prepared")),
    NodeKind("probe-prepare", typed.ProbePrepareNode, f"{NODES}:run_probe_prepare", needs=("model", "tokenizer")),
    NodeKind("probe", typed.ProbeNode, f"{NODES}:run_probe", needs=("model", "tokenizer"),
             may=("reference", "data", "stage_input", "prepared")),
    NodeKind("real_tokenizer", typed.RealTokenizerNode, f"{REAL}:run_real_tokenizer"),
    NodeKind("convert", typed.ConvertNode, f"{REAL}:run_convert", needs=("tokenizer",)),
):
    KINDS.add(_kind.name, _kind)
