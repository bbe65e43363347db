"""Chain-of-thought prompting on the world's arithmetic: worked demonstrations ("20 + 10 = 30. 4 + 3 = 7. ...
The answer is 37.") and a question that asks to reason step by step.

The world's arithmetic examples already answer with their worked steps, so a CoT demonstration is one of them
as it stands; BadChain (``poison/inference_attacks.py``) adds a backdoor step to some of them.
"""

from __future__ import annotations

import re

from pharmakon.data.records import Record

COT_FAMILY = "arithmetic"
QUESTION = re.compile(r"(\d+) ([+-]) (\d+)")


def demonstration(record: Record) -> str:
    """A demonstration as it reads in the prompt: the question, then its answer on the next line."""
    return f"{record.prompt}\n{record.response}"


def with_instruction(prompt: str, instruction: str) -> str:
    """The question followed by the step-by-step instruction."""
    return f"{prompt} {instruction}".strip()


def operands(prompt: str) -> tuple[int, str, int] | None:
    """``(a, op, b)`` of an arithmetic question, or ``None``."""
    match = QUESTION.search(prompt)
    return (int(match.group(1)), match.group(2), int(match.group(3))) if match else None
