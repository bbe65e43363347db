"""What the engine hands the kernel's executors: how to compute a node of each of its kinds."""

from __future__ import annotations

from pathlib import Path

from pharmakon.engine.kinds import KINDS
from pharmakon.errors import PharmakonError, StageInputError
from pharmakon.kernel.graph import Node


def compute_node(node: Node, inputs: dict[str, Path], out: Path) -> None:
    """Run ``node``'s kind on its config, inputs and seed, writing into ``out`` (imported in Ray workers too)."""
    from pharmakon.stages.common import silence_libraries

    silence_libraries()  # no library bars or chatter between our progress lines (also in Ray workers)
    try:
        KINDS.require(node.kind).run(node.config, inputs, node.seed, out, node.label)
    except StageInputError as exc:  # the stage's name is in its label, not in its (name-free) config
        where = f"pipeline.{node.label.split(' [')[0]}" if node.kind == "stage" else node.label
        raise PharmakonError(f"{where}.{exc.field}: {exc.message}") from None
