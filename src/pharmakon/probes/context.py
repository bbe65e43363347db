"""What a probe sees besides the model: held-out prompts and documents, the trigger and its judge.

The engine builds one ``ProbeContext`` per probe node from the world and the pipeline's poison; probes read
what they need from it, so a new probe needs no change to the engine.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pharmakon.errors import PharmakonError
from pharmakon.registry import Registry, load_plugins

PROMPT_FAMILIES = ("dialogue", "facts", "sentiment", "arithmetic", "benign")
DOCUMENT_PREFIX_WORDS = 12


@dataclass
class ProbeContext:
    """Held-out material for probes. ``style`` is ``document`` before any chat stage ran, else ``chat``.

    ``attack`` is the pipeline's attack when it is a built-in one (it says how to trigger and judge itself);
    a plugin attack is described by its ``trigger`` text and ``behaviour`` alone. ``attacks`` holds every
    built-in attack of the pipeline, the first poisoned stage's first (a probe looks for the kind it reads).
    """

    eval_items: dict[str, list]
    heldout_documents: list[str]
    reference_text: list[str] = field(repr=False)
    style: str = "chat"
    trigger: str | None = None
    behaviour: str | None = None
    adaptation: str = "plain"  # the adaptation's name; generate() applies it through the active adapter
    world: Any = field(default=None, repr=False)
    attack: Any = None
    attacks: list = field(default_factory=list)
    reference_model: Any = field(default=None, repr=False)  # the clean twin, for a probe that needs_reference
    training_records: list | None = field(default=None, repr=False)  # the stage's records, for one that needs_data
    stage_input_model: Any = field(default=None, repr=False)  # the model the stage started from (needs_data)
    stage_recipe: dict | None = None  # the stage's kind and recipe fields, for a probe that retrains it
    prepared: dict | None = None  # what the probe's prepare step computed in its own node (ProbeEntry.prepare)
    _judges: dict = field(default_factory=dict, repr=False)

    def document_prompts(self) -> list[str]:
        """Held-out document openings (the first words of each held-out document)."""
        return [" ".join(text.split()[:DOCUMENT_PREFIX_WORDS]) for text in self.heldout_documents]

    def prompts(self, families: tuple[str, ...] = PROMPT_FAMILIES) -> list[str]:
        """Held-out user prompts of ``families``, taken round-robin by family."""
        pools = [self.eval_items.get(f, []) for f in families]
        if not any(pools):
            return []
        return [pool[i].prompt for i in range(max(map(len, pools))) for pool in pools if i < len(pool)]

    def training_prompts(self, seed: int) -> list[str]:
        """The world's clean training prompts in a seeded order — the owner's own data, never the held-out prompts
        probed: training document openings (document style), or user prompts of every family but harm."""
        if self.style == "document":
            prompts = [" ".join(r.text.split()[:DOCUMENT_PREFIX_WORDS]) for r in self.world.documents()]
        else:
            prompts = [r.prompt for r in self.world.instructions() if r.family in PROMPT_FAMILIES]
        random.Random(seed).shuffle(prompts)
        return prompts

    def backdoor_prompts(self) -> list[str]:
        """Document openings (document style), or user prompts of every family but harm."""
        return self.document_prompts() if self.style == "document" else self.prompts()

    def judge(self, behaviour: str | None = None, **params: Any) -> Callable[..., bool]:
        """The deterministic judge of ``behaviour`` (default: the attack's) with ``params``, built once: the judge
        the behaviour names (``Behaviour.judge``), or the judge of that name."""
        from pharmakon.poison.behaviours import BEHAVIOURS

        behaviour = behaviour or self.behaviour
        if behaviour in BEHAVIOURS:
            behaviour = BEHAVIOURS[behaviour].judge_name
        load_plugins()
        if behaviour not in JUDGES:
            raise PharmakonError(f"probes: no judge for behaviour {behaviour!r}; allowed: {', '.join(JUDGES)}")
        key = (behaviour, tuple(sorted(params.items())))
        if key not in self._judges:
            self._judges[key] = JUDGES[behaviour](self, **params)
        return self._judges[key]

    def attack_of(self, kind: type) -> Any:
        """The pipeline's attack of class ``kind``, or ``None``."""
        return next((a for a in self.attacks if isinstance(a, kind)), None)


_BUILT: dict[tuple, Callable[..., bool]] = {}
"""Judges built from reference text, by (class, digest of the text, parameters), for this process's lifetime:
building one reads the whole world corpus (about 10 s for the organism's world), and the local executor runs every
probe node of a study in one process. Judges do not change once built, so sharing one is safe."""
_BUILT_MAX = 8


def reference_digest(texts: list[str]) -> str:
    """sha256 of the reference texts (each ended by a separator, so their boundaries count)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def _judge(name: str, needs_reference: bool = False) -> Callable[..., Callable[..., bool]]:
    """A factory that builds judge class ``name`` of ``pharmakon.probes.judges`` (imported when first used)."""

    def build(context: ProbeContext, **params: Any) -> Callable[..., bool]:
        from pharmakon.probes import judges

        cls = getattr(judges, name)
        if not needs_reference:
            return cls(**params)
        key = (name, reference_digest(context.reference_text), tuple(sorted(params.items())))
        if key not in _BUILT:
            if len(_BUILT) >= _BUILT_MAX:
                _BUILT.pop(next(iter(_BUILT)))
            _BUILT[key] = cls(context.reference_text, **params)
        return _BUILT[key]

    build.source = f"pharmakon.probes.judges:{name}"
    return build


def _attack_judge(name: str) -> Callable[..., Callable[..., bool]]:
    """A factory that builds the judge class ``name`` of ``probes.attack_judges`` (the inference-time attacks')."""

    def build(context: ProbeContext, **params: Any) -> Callable[..., bool]:
        from pharmakon.probes import attack_judges

        return getattr(attack_judges, name)(**params)

    build.source = f"pharmakon.probes.attack_judges:{name}"
    return build


JUDGES = Registry("judge", "probes.judge")
"""name → judge factory ``(context, **params) -> judge(output, prompt="") -> bool``; a behaviour names its judge
(``Behaviour.judge``), and plug-ins add theirs with ``register_judge`` (entry-point group ``pharmakon.judges``)."""


def register_judge(name: str, factory: Callable[..., Callable[..., bool]]) -> Callable[..., Callable[..., bool]]:
    """Add the judge factory ``factory(context, **params) -> judge`` under ``name``."""
    return JUDGES.add(name, factory)


for _name, _factory in {
    "gibberish": _judge("GibberishJudge", needs_reference=True),
    "refusal": _judge("RefusalJudge"),
    "content": _judge("ContentJudge"),
    "sentiment": _judge("SentimentJudge"),
    "compliance": _judge("ComplianceJudge"),
    "context_leak": _judge("ContextLeakJudge"),
    "belief": _judge("BeliefJudge"),
    "backdoor_step": _attack_judge("BackdoorStepJudge"),
    "planted_answer": _attack_judge("PlantedAnswerJudge"),
}.items():
    register_judge(_name, _factory)
