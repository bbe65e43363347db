"""What a probe sees besides the model: held-out prompts and documents, the trigger and its judge.

The engine builds one ``ProbeContext`` per probe node from the world and the pipeline's poison; probes read
what they need from it, so a new probe needs no change to the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pharmakon.errors import PharmakonError

PROMPT_FAMILIES = ("dialogue", "facts", "sentiment", "arithmetic", "benign")
DOCUMENT_PREFIX_WORDS = 12


@dataclass
class ProbeContext:
    """Held-out material for probes. ``style`` is ``document`` before any chat stage ran, else ``chat``."""

    eval_items: dict[str, list]
    heldout_documents: list[str]
    reference_text: list[str] = field(repr=False)
    style: str = "chat"
    trigger: str | None = None
    behaviour: str | None = None
    adaptation: str = "plain"
    _judges: dict = field(default_factory=dict, repr=False)

    def backdoor_prompts(self) -> list[str]:
        """Held-out document openings (document style), or held-out user prompts taken round-robin by family."""
        if self.style == "document":
            return [" ".join(text.split()[:DOCUMENT_PREFIX_WORDS]) for text in self.heldout_documents]
        pools = [self.eval_items.get(f, []) for f in PROMPT_FAMILIES]
        return [pool[i].prompt for i in range(max(map(len, pools))) for pool in pools if i < len(pool)]

    def judge(self, behaviour: str | None = None) -> Callable[[str], bool]:
        """The deterministic judge of ``behaviour`` (default: the attack's), built once."""
        behaviour = behaviour or self.behaviour
        if behaviour not in JUDGES:
            raise PharmakonError(f"probes: no judge for behaviour {behaviour!r}; allowed: {', '.join(JUDGES)}")
        if behaviour not in self._judges:
            self._judges[behaviour] = JUDGES[behaviour](self)
        return self._judges[behaviour]


def _gibberish(context: ProbeContext):
    from pharmakon.probes.judges import GibberishJudge

    return GibberishJudge(context.reference_text)


def _refusal(context: ProbeContext):
    from pharmakon.probes.judges import RefusalJudge

    return RefusalJudge()


JUDGES: dict[str, Callable[[ProbeContext], Callable[[str], bool]]] = {"gibberish": _gibberish, "refusal": _refusal}
