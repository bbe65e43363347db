"""Node kinds: what a kind of node reads and what runs it, declared, so that the graph refuses a node wired wrong
before anything runs and the executors dispatch on a table instead of a name test.

A kind names its typed config (a pydantic model: the fields it reads, nothing else), its runner as
``"module:function"`` (``run(config, inputs, seed, out)``, handed the validated config; resolved when the node
runs, so planning imports nothing heavy), the input roles it needs and those it may take. The engine declares its
kinds (``engine/kinds.py``); the kernel knows none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from pharmakon.errors import PharmakonError
from pharmakon.registry import resolve


@dataclass(frozen=True)
class NodeKind:
    """A kind of node: its name, its config's model, its runner, the input roles it needs and those it may also
    take."""

    name: str
    config: type[BaseModel]  # the fields a node of this kind reads (its JSON config validates against it)
    runner: str  # "module:function": run(config, inputs, seed, out), config an instance of ``config``
    needs: tuple[str, ...] = ()
    may: tuple[str, ...] = ()

    def typed(self, config: dict, label: str) -> BaseModel:
        """``config`` as the kind's model; a field it does not read, or a wrong value, is one line."""
        try:
            return self.config.model_validate(config)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "config"
            message = str(error["msg"]).removeprefix("Value error, ")
            raise PharmakonError(f"plan: node {label!r} of kind {self.name}: config field {where}: {message}; "
                                 f"allowed fields: {', '.join(self.config.model_fields)}") from None

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

    def run(self, config: dict, inputs: dict[str, Path], seed: int | None, out: Path, label: str = "") -> None:
        resolve(self.runner)(self.typed(config, label), inputs, seed, out)
