"""A node of the study graph, and its content address.

A node's key hashes the canonical JSON of its kind, config, inputs' keys, seed and code version, so two grid
points that share a prefix share its nodes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def canonical(value: Any) -> str:
    """The JSON a key hashes: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def node_key(kind: str, config: dict, inputs: dict, seed: int | None, code: str) -> str:
    """The content address of a node."""
    body = {"kind": kind, "config": config, "inputs": inputs, "seed": seed, "code": code}
    return hashlib.sha256(canonical(body).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Node:
    """One unit of work of a kind the engine computes (``tokenizer``, ``data``, ``init``, ``stage``, ``probe``…)."""

    key: str
    kind: str
    label: str
    config: dict = field(hash=False)
    inputs: dict = field(hash=False)  # role → input node key
    seed: int | None = None
    cpus: int = 1
    gpus: float = 0
    modules: tuple[str, ...] = ()
    code: str = ""

    def meta(self) -> dict:
        """What the cache records beside the node's outputs (``gc`` compares ``code`` with today's source)."""
        return {"kind": self.kind, "label": self.label, "config": self.config, "inputs": self.inputs,
                "seed": self.seed, "modules": list(self.modules), "code": self.code}
