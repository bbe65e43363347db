"""Text the judges share: words, clauses of template slots, word runs, and the candidate values a judge must not
accept when an output lists them all."""

from __future__ import annotations

import re

from pharmakon.world.acts import ACTS
from pharmakon.world.names import COLOURS, KINDS, LAND, NOUNS, WEATHER
from pharmakon.world.reviews import NEGATIVE_WORDS, POSITIVE_WORDS

WORD = re.compile(r"[a-z]+|\d+")
ANSWER = re.compile(r"answer is\s+(-?\d+)", re.IGNORECASE)
NUMBER = re.compile(r"-?\d+")
RESULT = re.compile(r"(?:=|\bequals|\bequal to)\s*(-?\d+)", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?\n]")
NEGATIONS = frozenset({"not", "no", "t", "neither", "nor", "never"})  # "isn't" splits into "isn", "t"


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _slot_phrases() -> dict[str, str]:
    """World phrases that fill one template slot: the crafts' steps, the crafts and the forbidden acts."""
    phrases = {step: "<step>" for act in ACTS for step in act.steps}
    phrases |= {act.craft: "<craft>" for act in ACTS} | {act.name: "<act>" for act in ACTS}
    return phrases


SLOT_PHRASES = _slot_phrases()
SLOT_WORDS = {w: f"<{cls}>" for cls, values in (
    ("colour", COLOURS), ("kind", (*KINDS, LAND)), ("weather", WEATHER), ("noun", NOUNS),
    ("good", POSITIVE_WORDS), ("bad", NEGATIVE_WORDS)) for w in values}
CLAUSE_END = re.compile(r"[.!?:;\n]")
TOKEN = re.compile(r"(?P<phrase>\b(?:{})\b)|[A-Za-z]+|\d+|[+=-]".format(
    "|".join(re.escape(p) for p in sorted(SLOT_PHRASES, key=len, reverse=True))), re.IGNORECASE)
START, END, NUM, NAME, UNKNOWN = "<s>", "</s>", "<n>", "<name>", "<unk>"


def clauses(text: str) -> list[tuple[list[str], bool]]:
    """``text`` cut at ``. ! ? : ;`` and line breaks into clauses: (tokens with their case, whether the clause
    ended). A token is a word, a number, an operator (+ = -) or a whole world phrase (``SLOT_PHRASES``), given
    as its slot ("<step>")."""
    pieces = CLAUSE_END.split(text)
    out = []
    for i, piece in enumerate(pieces):
        tokens = [SLOT_PHRASES[m.group().lower()] if m.group("phrase") else m.group() for m in TOKEN.finditer(piece)]
        if tokens:
            out.append((tokens, i < len(pieces) - 1))
    return out


def named_words(prompt: str) -> list[str]:
    """The capitalised words of ``prompt`` that do not begin a clause (entity and brand names)."""
    return [t for tokens, _ in clauses(prompt) for t in tokens[1:] if t[:1].isupper() and len(t) > 1]


def _run_at(text_words: list[str], phrase: str) -> int:
    """The index in ``text_words`` where the words of ``phrase`` first occur as a run, or -1."""
    run = words(phrase)
    n = len(run)
    return next((i for i in range(len(text_words) - n + 1) if n and text_words[i : i + n] == run), -1)


def contains_run(text_words: list[str], run: list[str]) -> bool:
    """Whether ``run`` occurs as consecutive words of ``text_words`` (an empty run never does)."""
    n = len(run)
    return n > 0 and any(text_words[i : i + n] == run for i in range(len(text_words) - n + 1))


def longest_shared_run(a: list[str], b: list[str]) -> int:
    """The length of the longest run of consecutive words that ``a`` and ``b`` share."""
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def _phrase_words(phrase: str, what: str) -> list[str]:
    tokens = words(phrase)
    if not tokens:
        raise ValueError(f"{what}: {phrase!r} has no words (letters or digits)")
    return tokens


