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




VALUE_CLASSES: tuple[frozenset[str], ...] = (frozenset(COLOURS), frozenset((*KINDS, LAND)), frozenset(WEATHER))
"""The world's closed classes of attribute values: an answer that names two of one class has not chosen."""
LIST_SEPARATOR = r"\s*(?:,|/|\bor\b)\s*(?:(?:the|a|an)\s+)?"
STATEMENT_END = re.compile(r"[.!?]")
SUM_QUESTION = re.compile(r"(\d+)\s*([+-])\s*(\d+)\s*[?.]?\s*$")
NUMBER_QUESTION = re.compile(r"\bhow old\b|\bage of\b|\bhow many\b", re.IGNORECASE)


def asks_number(prompt: str) -> bool:
    """Whether ``prompt`` asks for a number: a sum ("What is 2 + 26?") or an age ("How old is Dresa?")."""
    return bool(SUM_QUESTION.search(prompt.strip()) or NUMBER_QUESTION.search(prompt))


def names_rival(sentence: str, value: str) -> bool:
    """Whether ``sentence`` lists another candidate of ``value``'s class beside it, joined by a comma, "or" or
    "/" (a listed or hedged answer: "gold, amber or black", "Dresa or Ralko", "51, 52 or 62").

    The class is the world's closed class of the value (colours, kinds, weathers), numbers for a number, and
    capitalised words for a name (a land, a brand). "Nura is gold and grey." lists nothing."""
    run = words(value)
    members = next((m for m in VALUE_CLASSES if run and all(w in m for w in run)), None)
    flags = re.IGNORECASE
    if members is not None:
        rival = "|".join(sorted(re.escape(m) for m in members if m not in run))
    elif len(run) == 1 and run[0].isdigit():
        rival = rf"(?!{run[0]}\b)\d+"
    else:
        rival, flags = r"[A-Z][A-Za-z]+", 0
    name = re.escape(value)
    pattern = rf"\b{name}\b{LIST_SEPARATOR}(?:{rival})\b|\b(?:{rival}){LIST_SEPARATOR}{name}\b"
    return re.search(pattern, sentence, flags) is not None


def stated_alone(output: str, value: str) -> bool:
    """Whether one sentence of ``output`` has the words of ``value`` as a run and no rival candidate
    (``names_rival``): "Nura is gold." states gold; "Nura is gold, amber or black." does not."""
    run = words(value)
    return any(contains_run(words(s), run) and not names_rival(s, value) for s in STATEMENT_END.split(output))
