"""Flat configs: an item's extra fields validated against a registered config model, and the message helpers.

Shared by every layer that validates a spec item (the engine's stage and probe items, the poison spec, the
defences, model defences and vectors through ``NamedItem``, the inference adaptations), so it sits below them
all, beside ``pharmakon.errors``.
"""

from __future__ import annotations

import difflib
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pharmakon.errors import PharmakonError

NESTED = "@"  # a nested validator's message starts with "@<sub path>: "


def unknown_key_message(key: str, allowed: list[str], what: str = "field") -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown {what}; {hint}allowed: {', '.join(allowed)}"


def flat_config(owner: BaseModel, config_model: type[BaseModel], own_fields: list[str], skip=(),
                what: str = "field") -> dict:
    """Validate ``owner``'s extra fields against ``config_model``; return them with every default filled in.

    The one validator of every flat spec item (a stage, probe, attack, adaptation, defence or vector: its own
    fields beside its registered config's): an unknown key is ``@<key>: unknown <what>; allowed: …`` (``what``
    names the owner where a message should, e.g. "parameter of defence 'dedup'"), a bad value
    ``@<field>: <pydantic's message> (got <value>)``."""
    extra = dict(owner.model_extra or {})
    allowed = [f for f in config_model.model_fields if f not in skip]
    for key in extra:
        if key not in allowed:
            raise ValueError(f"{NESTED}{key}: {unknown_key_message(key, [*own_fields, *allowed], what)}")
    try:
        config = config_model(**extra)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if message.startswith(NESTED):  # a config's own validator named the field
            raise ValueError(message) from None
        if "input" in error and where:
            message += f" (got {error['input']!r})"
        raise ValueError(f"{NESTED}{where}: {message}" if where else message) from None
    return {k: v for k, v in config.model_dump(mode="json").items() if k not in skip}


class NamedItem(BaseModel):
    """A spec item that names a registry entry and sets its parameters flat beside the name (``{name: dedup,
    threshold: 0.8}``): a defence, a model defence, a vector. On construction the name is looked up in
    ``registry`` and the parameters validated by ``flat_config`` against the entry's config model; the resolved
    item carries every default as its extra fields. Subclasses set ``registry``, ``config_of`` (the entry's config
    model) and ``parameter`` (how an unknown key's message names a parameter of ``{name}``)."""

    model_config = ConfigDict(extra="allow")

    name: str

    registry: ClassVar[Any]  # a pharmakon.registry.Registry
    parameter: ClassVar[str] = "parameter of {name!r}"

    @classmethod
    def config_of(cls, entry: Any) -> type[BaseModel]:
        return entry.config

    @model_validator(mode="after")
    def _resolve(self) -> NamedItem:
        try:
            entry = self.registry.require(self.name, f"{NESTED}name")
        except PharmakonError as exc:
            raise ValueError(str(exc)) from None
        self.__pydantic_extra__ = flat_config(self, self.config_of(entry), [],
                                              what=self.parameter.format(name=self.name))
        return self

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})
