"""How a model is used at inference, as data: one pydantic model per adaptation (torch-free: the engine plans
from it). A probe spec names one (``adaptation: rag``) or gives a mapping (``adaptation: {name: rag, k: 3}``);
the resolved spec carries every default, so the probe node's key covers the whole adaptation.

``ADAPTATIONS`` is their registry: an entry pairs the spec class with its adapter, named ``"module:Class"`` (an
``Adapter`` subclass taking ``(spec, world, seed, attack, planted)``), so planning imports no adapter and a probe
node's code version covers only the adapter it runs. Plug-ins add theirs with ``register_adaptation`` (entry-point
group ``pharmakon.adaptations``).

``poison`` plants an inference-time attack in the adaptation's pool, store or memory (BadChain, PoisonedRAG,
AgentPoison); the engine then runs a ``poisoned`` condition and its ``clean`` twin (same adaptation, no poison).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pharmakon.errors import PharmakonError
from pharmakon.registry import Registry, load_plugins

STORES = ("facts", "documents")


class AdaptationPoison(BaseModel):
    """An inference-time attack: its name, ``count`` poisoned items (per target question for PoisonedRAG), the
    attack's own parameters (flat), and how many prompts its measurement asks."""

    model_config = ConfigDict(extra="allow")

    attack: str
    count: int = Field(default=5, ge=1, description="poisoned demonstrations / passages per target / records")
    n_prompts: int = Field(default=20, ge=1, description="prompts per variant in the attack's measurement")
    max_new_tokens: int = Field(default=32, ge=1)

    @model_validator(mode="after")
    def _resolve(self) -> AdaptationPoison:
        from pharmakon.config import flat_config
        from pharmakon.poison import ATTACKS

        if self.attack not in ATTACKS or not getattr(ATTACKS[self.attack], "adaptations", ()):
            usable = sorted(n for n, a in ATTACKS.items() if getattr(a, "adaptations", ()))
            raise ValueError(f"attack: {self.attack!r} is not an inference-time attack; allowed: {', '.join(usable)}")
        own = list(AdaptationPoison.model_fields)
        try:
            self.__pydantic_extra__ = flat_config(self, ATTACKS[self.attack].config_model, own, skip=("budget",))
        except ValueError as exc:
            raise ValueError(str(exc).removeprefix("@")) from None
        return self

    def build(self):
        from pharmakon.poison import ATTACKS, Budget

        return ATTACKS[self.attack](budget=Budget(count=self.count), **(self.model_extra or {}))


class Adaptation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    poison: AdaptationPoison | None = None
    store_field: ClassVar[str] = "pool"  # the field that sizes the store (named when the store is empty)

    @model_validator(mode="after")
    def _attack_fits(self) -> Adaptation:
        from pharmakon.poison import ATTACKS

        fits = ATTACKS[self.poison.attack].adaptations if self.poison is not None else ()
        if self.poison is not None and self.name not in fits:
            raise ValueError(f"poison.attack: {self.poison.attack!r} poisons {', '.join(fits)} adaptations, "
                             f"not {self.name}")
        return self

    def store_size(self, world) -> int | None:
        """How many items retrieval picks from in ``world`` (``None``: nothing is retrieved)."""
        return None


class Plain(Adaptation):
    name: Literal["plain"]


class ICL(Adaptation):
    """k demonstrations of the prompt's family, drawn (seeded per prompt) from a pool of world examples."""

    name: Literal["icl"]
    k: int = Field(default=4, ge=1, description="demonstrations in each prompt")
    pool: int = Field(default=16, ge=1, description="clean examples per family in the pool")

    def store_size(self, world) -> int:
        return self.pool


class CoT(ICL):
    """Worked-step prompting on arithmetic: k worked demonstrations and an instruction to reason step by step."""

    name: Literal["cot"]  # type: ignore[assignment]
    k: int = Field(default=3, ge=1, description="worked demonstrations in each arithmetic prompt")
    instruction: str = Field(default="Let us work it out step by step.", description="appended to the question")


class RAG(Adaptation):
    """The top-k passages of a store over world text, retrieved for the prompt, go before it."""

    name: Literal["rag"]
    store_field: ClassVar[str] = "limit"
    k: int = Field(default=3, ge=1, description="passages in each prompt")
    retriever: Literal["bm25", "dense"] = "bm25"
    store: Literal["facts", "documents"] = Field(default="facts", description="one passage per entity attribute, "
                                                                              "or the world's documents")
    limit: int | None = Field(default=None, ge=0, description="at most this many passages (seeded choice)")
    max_words: int = Field(default=60, ge=1, description="a passage is cut to this many words in the prompt")

    def store_size(self, world) -> int:
        from pharmakon.inference.retrieval import store_passages

        return len(store_passages(world, self.store, self.limit))


class Agent(Adaptation):
    """A tool loop (entity lookup, calculator) with a persistent memory of past episodes, retrieved by query."""

    name: Literal["agent"]
    store_field: ClassVar[str] = "memory"
    k: int = Field(default=2, ge=1, description="memory records retrieved per episode")
    retriever: Literal["bm25", "dense"] = "bm25"
    memory: int = Field(default=24, ge=0, description="past episodes in memory before the first query")
    remember: bool = Field(default=True, description="write each episode back into memory")
    policy: Literal["imitate", "model"] = Field(
        default="imitate", description="who picks the action: imitate (the top record's action when no tool "
                                       "derives it: tiny models cannot write tool calls) or model (the model "
                                       "writes it after the retrieved records)")

    def store_size(self, world) -> int:
        return self.memory


@dataclass(frozen=True)
class AdaptationEntry:
    """A registered adaptation: its spec (a pydantic model whose ``name`` is the entry's name) and its adapter."""

    spec: type[Adaptation]
    adapter: str | Callable  # "module:Class", an Adapter subclass taking (spec, world, seed, attack, planted)
    description: str


ADAPTATIONS = Registry("adaptation", "adaptation.name")


def register_adaptation(name: str, *, spec: type[Adaptation], adapter: str | Callable,
                        description: str) -> AdaptationEntry:
    """Add an adaptation: ``spec`` validates a probe's ``adaptation`` mapping, ``adapter`` runs it."""
    return ADAPTATIONS.add(name, AdaptationEntry(spec, adapter, description))


register_adaptation("plain", spec=Plain, adapter="pharmakon.inference.adapter:Adapter",
                    description="the prompt as it is")
register_adaptation("icl", spec=ICL, adapter="pharmakon.inference.icl:DemonstrationAdapter",
                    description="k demonstrations of the prompt's family before it (in-context learning)")
register_adaptation("cot", spec=CoT, adapter="pharmakon.inference.icl:DemonstrationAdapter",
                    description="k worked arithmetic demonstrations and a step-by-step instruction")
register_adaptation("rag", spec=RAG, adapter="pharmakon.inference.rag:RAGAdapter",
                    description="the top-k passages retrieved from a store of world text before the prompt")
register_adaptation("agent", spec=Agent, adapter="pharmakon.inference.agent:AgentAdapter",
                    description="a tool loop (lookup, calculator) with a retrieved memory of past episodes")


def parse_adaptation(value: str | dict[str, Any]) -> Adaptation:
    """The adaptation of a probe spec's ``adaptation`` (a name or a mapping); errors are ValueError
    ``"<sub path>: message"`` with the path below ``adaptation``."""
    data = {"name": value} if isinstance(value, str) else dict(value)
    load_plugins()
    if data.get("name") not in ADAPTATIONS:
        close = difflib.get_close_matches(str(data.get("name")), list(ADAPTATIONS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"name: unknown adaptation {data.get('name')!r}; {hint}allowed: {', '.join(ADAPTATIONS)}")
    try:
        return ADAPTATIONS[data["name"]].spec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "name"
        message = str(error["msg"]).removeprefix("Value error, ")
        if ": " in message and error["type"] == "value_error":  # our own messages carry their sub path
            head, _, rest = message.partition(": ")
            where, message = (f"{where}.{head}" if where != "name" else head), rest
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        raise ValueError(f"{where}: {message}") from None


def check_store(adaptation: Adaptation, world, field: str) -> None:
    """Refuse an empty store and a k larger than it (``field``: the adaptation's path in the spec)."""
    size = adaptation.store_size(world)
    if size is None:
        return
    k = getattr(adaptation, "k", 0)
    if size == 0:
        raise PharmakonError(f"{field}.{adaptation.store_field}: the {adaptation.name} store is empty; "
                             "allowed: at least one item")
    if k > size:
        raise PharmakonError(f"{field}.k: {k} is larger than the {adaptation.name} store ({size} items); "
                             f"allowed: 1..{size}")
