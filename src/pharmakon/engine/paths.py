"""Dotted paths into a study spec, and pydantic errors turned into one line that names the path.

Lists of named items (``pipeline``, ``probes``) are addressed by name: ``pipeline.dpo.beta`` is the ``beta``
of the stage named ``dpo`` (a stage's name defaults to its kind; a probe is named by its ``id``, which defaults to
its name). An integer index works too (names are never bare numbers, so an index is never a name).
"""

from __future__ import annotations

import copy
import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from pharmakon.config import NESTED, unknown_key_message
from pharmakon.errors import PharmakonError

NAMED_LISTS = ("pipeline", "probes")


def item_name(item: Any) -> str | None:
    if isinstance(item, dict):
        name = item.get("id") or item.get("name") or item.get("kind")
        return None if name is None else str(name)
    return None


def _index(items: list, part: str, path: str) -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [item_name(item) for item in items]
    if part in names:
        return names.index(part)
    raise PharmakonError(f"{path}: no item named {part!r}; allowed: {', '.join(str(n) for n in names)}")


def set_path(data: dict, path: str, value: Any) -> dict:
    """A copy of ``data`` with ``value`` at the dotted ``path`` (missing mappings are created)."""
    data = copy.deepcopy(data)
    parts = path.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            i = _index(node, part, here)
            if last:
                node[i] = value
            node = node[i]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
        else:
            raise PharmakonError(f"{here}: {'.'.join(parts[:depth])} is a value, not a mapping")
    return data


def get_path(data: dict, path: str) -> Any:
    """The value at ``path``; a path that does not exist is a one-line error naming the nearest key."""
    node: Any = data
    parts = path.split(".")
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = node[_index(node, part, here)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            keys = list(node) if isinstance(node, dict) else []
            close = difflib.get_close_matches(part, keys, n=1)
            hint = f"; did you mean {'.'.join([*parts[:depth], close[0]])!r}" if close else ""
            raise PharmakonError(f"{here}: no such field in the spec{hint}")
    return node


def format_error(exc: ValidationError, data: dict, root: type[BaseModel]) -> str:
    """The first error of ``exc`` as ``path: message``, list indices replaced by item names."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    named: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            named.append(item_name(node[int(part)]) or part)
            node = node[int(part)]
        else:
            named.append(part)
            node = node.get(part) if isinstance(node, dict) else None
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith(NESTED):
        sub, _, message = message[1:].partition(": ")
        named.append(sub)
    elif error["type"] == "extra_forbidden":
        owner = _model_at(root, loc[:-1])
        if owner is not None:
            message = unknown_key_message(loc[-1], list(owner.model_fields))
    path = ".".join(part for part in named if part)
    return f"{path}: {message}" if path else message


def _model_at(model: type[BaseModel], loc: list[str]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``loc`` (list indices skipped)."""
    current: Any = model
    for part in loc:
        if part.isdigit():
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        candidates = [annotation, *typing.get_args(annotation)]
        for candidate in list(candidates):
            candidates += typing.get_args(candidate)
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None
