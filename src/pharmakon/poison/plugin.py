"""A plug-in attack made an ``Attack`` when it registers, so that the rest of pharmakon knows one attack protocol.

A plug-in may be the minimal class of ``docs/extending.md``: a name, the paper, its stages and record kinds, a
behaviour, a pydantic config with a ``trigger`` and a ``budget``, and ``apply(records, tokenizer, seed[, world])``.
Wrapped, it keeps its own ``apply`` and trigger and gains what the built-in attacks have: ``check(world)`` before
anything runs, the held-out prompts of its behaviour, ``trigger_for`` and its judge's parameters.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic import BaseModel

from pharmakon.data.records import Record
from pharmakon.poison.attack import Attack
from pharmakon.poison.base import PoisonReport

REQUIRED = ("name", "description", "paper", "url", "stages", "behaviour", "config_model", "apply")


def as_attack(cls: type) -> type[Attack]:
    """``cls`` itself if it is an ``Attack``, else an ``Attack`` subclass of the same name that builds and applies
    a ``cls`` instance. Raises ``TypeError`` naming the first attribute of the protocol that ``cls`` lacks."""
    for attribute in REQUIRED:
        if not hasattr(cls, attribute):
            raise TypeError(f"attack {cls.__name__} lacks {attribute!r}")
    if isinstance(cls, type) and issubclass(cls, Attack):
        return cls
    takes_world = "world" in inspect.signature(cls.apply).parameters

    class PluginAttack(Attack):
        plugin = cls
        name = cls.name
        description = cls.description
        paper = cls.paper
        url = cls.url
        stages = tuple(cls.stages)
        record_kinds = tuple(getattr(cls, "record_kinds", ()))
        behaviour = cls.behaviour
        config_model = cls.config_model

        def __init__(self, config: BaseModel | None = None, **params: Any) -> None:
            if config is not None:
                params = config.model_dump()
            self.instance = cls(**params)
            self.config = getattr(self.instance, "config", None) or self.config_model(**params)

        @property
        def trigger(self) -> str | None:
            return getattr(self.instance, "trigger", None) or super().trigger

        def apply(self, clean: list[Record], tokenizer, seed: int, world=None) -> tuple[list[Record], PoisonReport]:
            if takes_world:
                return self.instance.apply(clean, tokenizer, seed, world=world)
            return self.instance.apply(clean, tokenizer, seed)

    PluginAttack.__name__ = PluginAttack.__qualname__ = cls.__name__
    PluginAttack.__module__ = cls.__module__
    PluginAttack.__doc__ = cls.__doc__
    return PluginAttack
