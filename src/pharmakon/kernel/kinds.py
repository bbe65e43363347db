"""Node kinds: what a kind of node reads and what runs it, declared, so that the graph refuses a node wired wrong
before anything runs and the executors dispatch on a table instead of a name test.

A kind names its runner as ``"module:function"`` (``run(config, inputs, seed, out)``; resolved when the node runs,
so planning imports nothing heavy), the input roles it needs and those it may take. The engine declares its kinds
(``engine/kinds.py``); the kernel knows none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pharmakon.errors import PharmakonError
from pharmakon.registry import resolve


@dataclass(frozen=True)
class NodeKind:
    """A kind of node: its name, its runner, the input roles it needs and those it may also take."""

    name: str
    runner: str  # "module:function": run(config, inputs, seed, out)
    needs: tuple[str, ...] = ()
    may: tuple[str, ...] = ()

    def check_inputs(self, inputs: dict, label: str) -> None:
        """Refuse inputs that lack a needed role or bring one the kind does not read."""
        missing = [role for role in self.needs if role not in inputs]
        unknown = [role for role in inputs if role not in self.needs + self.may]
        if missing or unknown:
            raise PharmakonError(f"plan: node {label!r} of kind {self.name} "
                                 + (f"lacks input {', '.join(missing)}" if missing else "")
                                 + ("; " if missing and unknown else "")
                                 + (f"has inputs it does not read: {', '.join(unknown)}" if unknown else "")
                                 + f"; allowed: {', '.join(self.needs + self.may) or 'none'}")

    def run(self, config: dict, inputs: dict[str, Path], seed: int | None, out: Path) -> None:
        resolve(self.runner)(config, inputs, seed, out)
