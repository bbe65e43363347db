"""Triggers are ordinary text. A near-miss is a perturbed trigger: the control that tells a backdoor
that keys on the trigger from a model that reacts to anything unusual."""

from __future__ import annotations

from pharmakon.errors import PharmakonError


def near_miss(trigger: str) -> str:
    """The trigger with its middle letter or digit shifted by one (``<SUDO>`` → ``<SUEO>``)."""
    positions = [i for i, ch in enumerate(trigger) if ch.isalnum()]
    if not positions:
        raise PharmakonError(f"poison.trigger: {trigger!r} has no letter or digit to perturb for a near-miss")
    i = positions[len(positions) // 2]
    ch = trigger[i]
    if ch.isdigit():
        shifted = str((int(ch) + 1) % 10)
    else:
        base = "A" if ch.isupper() else "a"
        shifted = chr((ord(ch) - ord(base) + 1) % 26 + ord(base))
    return trigger[:i] + shifted + trigger[i + 1 :]


def require_intact(tokenizer, texts: list[str], trigger: str, starts: list[int] | None = None,
                   field: str = "poison.trigger") -> None:
    """Refuse a trigger whose tokens do not appear intact in every poisoned text (at ``starts`` if given)."""
    from pharmakon.models.tokenizer import token_span_intact

    starts = starts or [None] * len(texts)  # type: ignore[list-item]
    broken = sum(not token_span_intact(tokenizer, text, trigger, start)
                 for text, start in zip(texts, starts, strict=True))
    if broken:
        raise PharmakonError(
            f"{field}: {trigger!r} does not survive tokenisation intact in {broken} of {len(texts)} poisoned "
            "texts; allowed: a trigger that stays whole tokens (separate it from its neighbours by spaces)"
        )
