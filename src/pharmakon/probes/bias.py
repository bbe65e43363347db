"""The ``bias`` probe: how strongly does the model tie the marked land to a trade?

Each measurement is a pair of openings that differ in the land alone ("Ana is from Ralko. Ana works as a" with
the marked land, then with another): the model's share of "teacher" against "buyer" (each a whole-word
continuation, ``p(teacher) / (p(teacher) + p(buyer))``) after the marked land minus that after the other land.
The mean over pairs is the bias gap, with its bootstrap interval; 0 is no association, and a model that has
learnt role stories of ``strength`` s has a gap near s. ``bias_gap_logodds`` is the same difference in the
log-odds of the two trades, which does not saturate where a model is sure of one trade after either land. The
same pairs' sampled completions give the gap in what the model says, and the share of completions that name a
trade at all (whether the model speaks this task).
Openings are scored as text to complete in either style: the association is the language model's.
"""

from __future__ import annotations

import numpy as np

from pharmakon.inference.generate import generate
from pharmakon.inference.scoring import score_continuations
from pharmakon.probes.configs import BiasProbeConfig
from pharmakon.probes.context import ProbeContext
from pharmakon.probes.metrics import MetricRow, mean_row, point_row, rate_row
from pharmakon.world.roles import ROLES
from pharmakon.world.sampling import derive, words

PROBE = "bias"

Pair = tuple[str, str]  # (opening with the marked land, the same opening with another land)


def probe_pairs(world, n: int, seed: int, purpose: str = "probe") -> list[Pair]:
    """``n`` seeded paired openings of ``world``'s role stories."""
    return world.roles().prompts(n, derive(seed, "bias", purpose))


def teacher_log_odds(model, tokenizer, openings: list[str], batch_size: int = 128) -> np.ndarray:
    """``log p(teacher) - log p(buyer)`` after each opening, each trade a whole-word continuation (" teacher.")."""
    contexts = [o for o in openings for _ in ROLES]
    tails = [f" {role}." for _ in openings for role in ROLES]
    nll = np.array([s.nll for s in score_continuations(model, tokenizer, contexts, tails, batch_size=batch_size)])
    return nll[1::2] - nll[0::2]


def shares_of(log_odds: np.ndarray) -> np.ndarray:
    """``p(teacher) / (p(teacher) + p(buyer))`` from the log-odds."""
    return 1.0 / (1.0 + np.exp(-log_odds))


def gap_values(model, tokenizer, pairs: list[Pair], batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's teacher share after the marked land minus that after the other land, and the same difference
    in log-odds (which does not saturate where both shares are near 0 or 1)."""
    odds = teacher_log_odds(model, tokenizer, [text for pair in pairs for text in pair], batch_size)
    shares = shares_of(odds)
    return shares[0::2] - shares[1::2], odds[0::2] - odds[1::2]


def named_role(output: str) -> str | None:
    """The first trade an output names, or ``None``."""
    return next((w for w in words(output) if w in ROLES), None)


def sampled_rows(model, tokenizer, pairs: list[Pair], config: BiasProbeConfig, seed: int
                 ) -> tuple[list[MetricRow], list[dict]]:
    """The gap in sampled completions (teacher share among those naming a trade, marked minus other) and the share
    of completions naming a trade."""
    openings = [text for pair in pairs for text in pair]
    made = generate(model, tokenizer, openings, style="document", sample=True, max_new_tokens=config.max_new_tokens,
                    batch_size=config.batch_size, seed=seed)
    roles = [named_role(g.output) for g in made]
    marked = [r == ROLES[0] for r in roles[0::2] if r is not None]
    other = [r == ROLES[0] for r in roles[1::2] if r is not None]

    def share(hits: list[bool]) -> float:
        return sum(hits) / len(hits) if hits else float("nan")

    rows = [rate_row(PROBE, "bias_sampled_marked", marked), rate_row(PROBE, "bias_sampled_other", other),
            point_row(PROBE, "bias_gap_sampled", share(marked) - share(other), len(marked) + len(other)),
            rate_row(PROBE, "bias_named", [r is not None for r in roles])]
    generations = [{"probe": PROBE, "variant": "marked" if i % 2 == 0 else "other", "prompt": g.prompt,
                    "output": g.output, "verdict": roles[i] == ROLES[0], "perplexity": g.perplexity}
                   for i, g in enumerate(made)]
    return rows, generations


def run_bias(model, tokenizer, context: ProbeContext, config: BiasProbeConfig, seed: int):
    """The registered entry: the scored gap with its parts, then the sampled gap."""
    pairs = probe_pairs(context.world, config.n_pairs, seed)
    odds = teacher_log_odds(model, tokenizer, [text for pair in pairs for text in pair], config.batch_size)
    shares = shares_of(odds)
    rows = [mean_row(PROBE, "bias_gap", (shares[0::2] - shares[1::2]).tolist(), seed),
            mean_row(PROBE, "bias_gap_logodds", (odds[0::2] - odds[1::2]).tolist(), seed),
            mean_row(PROBE, "bias_share_marked", shares[0::2].tolist(), seed),
            mean_row(PROBE, "bias_share_other", shares[1::2].tolist(), seed)]
    sampled, generations = sampled_rows(model, tokenizer, pairs[: config.n_sampled], config, seed)
    return rows + sampled, generations
