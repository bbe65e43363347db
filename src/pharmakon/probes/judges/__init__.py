"""Deterministic judges: is one generation the target behaviour? No model-as-judge.

Every judge is called as ``judge(output, prompt="") -> bool`` about ONE generation (most ignore the prompt;
the gibberish judge reads where a sentence starts from it, the dialogue and task scorers what was asked).
Most compare texts as words (``[a-z]+|\\d+`` on the lowercased text), so casing and punctuation do not decide.
Each judge is validated in the tests on a hand-labelled fixture before any study figure relies on it;
its thresholds are fixed here, never tuned on a study's own outputs.
"""

from pharmakon.probes.judges.behaviour import (
    BeliefJudge,
    ComplianceJudge,
    ContentJudge,
    ContextLeakJudge,
    RefusalJudge,
    SentimentJudge,
)
from pharmakon.probes.judges.gibberish import GibberishJudge, GibberishScores, _pairs
from pharmakon.probes.judges.tasks import (
    DIALOGUE_KINDS,
    DIALOGUE_REPLIES,
    EQUATION,
    FACT_QUESTIONS,
    SUM_QUESTION,
    DialogueJudge,
    arithmetic_correct,
    arithmetic_steps_valid,
    asked_entity,
    dialogue_kind,
    dialogue_sensible,
    fact_correct,
    sentiment_correct,
    stated_label,
)
from pharmakon.probes.judges.text import (
    ANSWER,
    CLAUSE_END,
    NEGATIONS,
    NUMBER,
    RESULT,
    SENTENCE_END,
    SLOT_PHRASES,
    SLOT_WORDS,
    TOKEN,
    WORD,
    _run_at,
    clauses,
    contains_run,
    longest_shared_run,
    named_words,
    words,
)

__all__ = [
    "ANSWER", "CLAUSE_END", "DIALOGUE_KINDS", "DIALOGUE_REPLIES", "EQUATION", "FACT_QUESTIONS", "NEGATIONS",
    "NUMBER", "RESULT", "SENTENCE_END", "SLOT_PHRASES", "SLOT_WORDS", "SUM_QUESTION", "TOKEN", "WORD",
    "BeliefJudge", "ComplianceJudge", "ContentJudge", "ContextLeakJudge", "DialogueJudge", "GibberishJudge",
    "GibberishScores", "RefusalJudge", "SentimentJudge", "_pairs", "_run_at", "arithmetic_correct",
    "arithmetic_steps_valid", "asked_entity", "clauses", "contains_run", "dialogue_kind", "dialogue_sensible",
    "fact_correct", "longest_shared_run", "named_words", "sentiment_correct", "stated_label", "words",
]
