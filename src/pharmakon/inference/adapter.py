"""The adapter a probe node installs around its probe: while it is active, ``generate`` turns every prompt into
its adapted model input (demonstrations, retrieved passages, an agent's memory and observation) through the one
template. Probes need no change; their judges still see the clean prompt.

Each adapter notes, per adapted prompt, whether a poisoned item (demonstration, passage, memory record) was
placed in it: the retrieval success of an inference-time attack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pharmakon.inference.adaptations import Adaptation

_ACTIVE: ContextVar[Adapter | None] = ContextVar("pharmakon_adapter", default=None)


def active_adapter() -> Adapter | None:
    """The adapter installed by the innermost ``Adapter.active()``, or ``None`` (plain generation)."""
    return _ACTIVE.get()


def prompt_seed(seed: int, prompt: str) -> int:
    """A seed for one prompt that does not depend on the order or batch the prompt comes in."""
    return int.from_bytes(hashlib.sha256(f"{seed}\x1f{prompt}".encode()).digest()[:8], "big")


class Adapter:
    """Plain: prompts pass through unchanged."""

    def __init__(self, spec: Adaptation, world=None, seed: int = 0, attack=None, planted=None) -> None:
        # ``planted``: the attack when its poison is planted (the poisoned condition); plain plants nothing
        self.spec, self.world, self.seed, self.attack = spec, world, seed, attack
        self.poisoned_in_context: dict[str, bool] = {}
        # set by ``generate`` while it adapts: greedy short answers of the same model to other inputs (an agent
        # whose model writes its action)
        self.propose: Callable[[list[str]], list[str]] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def adapt(self, prompts: list[str], style: str) -> list[str]:
        """The model input (before the template) for each prompt."""
        return list(prompts)

    def observe(self, prompts: list[str], outputs: list[str]) -> None:
        """What the model answered to ``prompts`` (an agent writes its episodes into memory)."""

    @contextmanager
    def active(self) -> Iterator[Adapter]:
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)
