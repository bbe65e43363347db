"""The bias probe reads a land-trade association exactly where a model holds one, and nothing where it holds none.

A stand-in language model makes the association explicit: where the trade comes next, after the marked land's
tokens, it puts +m on the first token of one trade and -m on the other's; elsewhere its logits are flat. The
paired log-odds gap is then exactly 2m (every other term cancels between a pair's two openings), and 0 for
the flat model."""

from types import SimpleNamespace

import pytest
import torch

from pharmakon.probes.bias import gap_values, probe_pairs
from pharmakon.world.roles import ROLES


class PlantedLM(torch.nn.Module):
    """Logits over the vocabulary: ±margin on the trades' first tokens where the next word is the trade (after
    " a"), once ``marked`` has been read."""

    def __init__(self, vocab: int, marked: list[int], first: tuple[int, int], margin: float, cue: int) -> None:
        super().__init__()
        self.vocab, self.marked, self.first, self.margin, self.cue = vocab, marked, first, margin, cue
        self.anchor = torch.nn.Parameter(torch.zeros(()))

    @property
    def device(self):
        return self.anchor.device

    def forward(self, input_ids, attention_mask=None, **_):
        logits = torch.zeros((*input_ids.shape, self.vocab))
        n = len(self.marked)
        for row, ids in enumerate(input_ids.tolist()):
            for t in range(len(ids)):
                seen = any(ids[s:s + n] == self.marked for s in range(max(0, t - n + 2)))
                if seen and ids[t] == self.cue:
                    logits[row, t, self.first[0]] = self.margin
                    logits[row, t, self.first[1]] = -self.margin
        return SimpleNamespace(logits=logits)


@pytest.mark.parametrize("margin", [0.0, 3.0])
def test_the_paired_gap_is_exactly_the_planted_association(world, tokenizer, margin):
    marked = world.roles().marked
    first = tuple(tokenizer(f" {role}.", add_special_tokens=False)["input_ids"][0] for role in ROLES)
    assert first[0] != first[1]
    cue = tokenizer(" a", add_special_tokens=False)["input_ids"]
    assert len(cue) == 1
    model = PlantedLM(len(tokenizer), tokenizer(f" {marked}", add_special_tokens=False)["input_ids"], first, margin,
                      cue[0])
    pairs = probe_pairs(world, 12, seed=0)
    shares, log_odds = gap_values(model, tokenizer, pairs, batch_size=5)
    assert log_odds == pytest.approx([2 * margin] * len(pairs), abs=1e-4)
    assert (shares > 0).all() if margin else shares == pytest.approx([0.0] * len(pairs), abs=1e-6)


def test_probe_pairs_are_seeded(world):
    assert probe_pairs(world, 8, seed=1) == probe_pairs(world, 8, seed=1)
    assert probe_pairs(world, 8, seed=1) != probe_pairs(world, 8, seed=2)
