"""Registries of stages, attacks, behaviours, probes, findings, defences, vectors and adaptations, and the plugins
that add to them.

A registry is a plain dict (name → entry). Third-party packages add entries through the entry-point groups
``pharmakon.stages``, ``pharmakon.attacks``, ``pharmakon.probes``, ``pharmakon.findings``, ``pharmakon.defenses``,
``pharmakon.vectors``, ``pharmakon.adaptations``, ``pharmakon.behaviours`` and ``pharmakon.judges`` (each entry
point names an object that registered itself on import, or a zero-argument function that registers), or
in-process with ``register_attack`` / ``register_probe`` / ``register_stage`` / ``register_defense`` /
``register_vector`` / ``register_adaptation`` / ``register_behaviour`` / ``register_judge`` or
``pharmakon.studies.FINDINGS.add``. Entries name their
implementation as ``"module:function"`` so that planning a study does not import torch.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from pharmakon.errors import PharmakonError


def resolve(target: Callable | str) -> Callable:
    """The callable named by ``"module:attribute"``, or ``target`` itself."""
    if callable(target):
        return target
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def module_of(target: Any) -> str:
    """The module that implements ``target`` (a ``"module:attribute"`` string, a function or a class)."""
    if isinstance(target, str):
        return target.partition(":")[0]
    return target.__module__


class Registry(dict):
    """name → entry, with a clear error for an unknown name and lazy loading of entry-point plugins."""

    def __init__(self, kind: str, field: str) -> None:
        super().__init__()
        self.kind = kind
        self.field = field
        self._plugins_loaded = False

    def add(self, name: str, entry: Any) -> Any:
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise PharmakonError(f"{self.kind}: name {name!r} must be letters, digits, '-' or '_'")
        self[name] = entry
        return entry

    def require(self, name: str, field: str | None = None) -> Any:
        """The entry ``name``; an unknown name is one line naming the field, the closest name and all names."""
        load_plugins()
        if name not in self:
            close = difflib.get_close_matches(str(name), list(self), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise PharmakonError(f"{field or self.field}: unknown {self.kind} {name!r}; {hint}"
                                 f"allowed: {', '.join(sorted(self))}")
        return self[name]


_GROUPS = ("pharmakon.stages", "pharmakon.attacks", "pharmakon.probes", "pharmakon.findings", "pharmakon.defenses",
           "pharmakon.model_defenses", "pharmakon.vectors", "pharmakon.adaptations", "pharmakon.behaviours",
           "pharmakon.judges")
_loaded = False


def load_plugins() -> None:
    """Import every installed plugin once (the entry-point groups of ``_GROUPS``)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for group in _GROUPS:
        for point in entry_points(group=group):
            try:
                loaded = point.load()
            except Exception as exc:  # a broken plugin must not hide the others
                raise PharmakonError(f"plugin {point.name!r} ({group}) failed to load: {exc}") from exc
            # A registration function is called; a class or function registered by a decorator is left alone.
            if callable(loaded) and not isinstance(loaded, type) and not getattr(loaded, "__pharmakon__", None):
                loaded()
