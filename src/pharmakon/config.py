"""Flat configs: an item's extra fields validated against a registered config model, and the message helpers.

Shared by every layer that validates a spec item (the engine's stage and probe items, the poison spec, the
defences, the inference adaptations), so it sits below them all, beside ``pharmakon.errors``.
"""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ValidationError

NESTED = "@"  # a nested validator's message starts with "@<sub path>: "


def unknown_key_message(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown field; {hint}allowed: {', '.join(allowed)}"


def flat_config(owner: BaseModel, config_model: type[BaseModel], own_fields: list[str], skip=()) -> dict:
    """Validate ``owner``'s extra fields against ``config_model``; return them with every default filled in."""
    extra = dict(owner.model_extra or {})
    allowed = [f for f in config_model.model_fields if f not in skip]
    for key in extra:
        if key not in allowed:
            raise ValueError(f"{NESTED}{key}: {unknown_key_message(key, [*own_fields, *allowed])}")
    try:
        config = config_model(**extra)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ValueError(f"{NESTED}{where}: {str(error['msg']).removeprefix('Value error, ')}") from None
    return {k: v for k, v in config.model_dump(mode="json").items() if k not in skip}
