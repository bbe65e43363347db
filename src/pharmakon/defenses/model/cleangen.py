"""CleanGen (Li et al. 2024, "CleanGen: Mitigating Backdoor Attacks for Generation Tasks in Large Language
Models", https://arxiv.org/abs/2406.12257): decoding-time defence with a reference model.

A backdoored model, once triggered, gives its target tokens far more probability than a model without the
backdoor does. At every step the suspect model proposes its next token (its argmax, or a draw at the sampling
temperature); when ``p_suspect(token) / p_reference(token) > alpha`` the token is suspicious and the reference
model's own choice (argmax or draw) is emitted instead. The weights are untouched: utility is kept wherever the
two models agree. CleanGen checks k tokens ahead and re-decodes after a replacement; with tiny models one step at
a time is cheap, so the guard checks every token (k = 1). The reference must share the suspect's tokenizer.
"""

from __future__ import annotations

import torch
from transformers import LogitsProcessor

from pharmakon.defenses.model.base import Defended, DefenseInputs, ModelDefense
from pharmakon.defenses.model.configs import CleanGenConfig


class CleanGenGuard(LogitsProcessor):
    """Picks each next token (returns scores whose argmax is it) and counts replacements."""

    def __init__(self, reference, pad_token_id: int, alpha: float, sample: bool, temperature: float,
                 generator: torch.Generator | None) -> None:
        self.reference, self.pad, self.alpha = reference, pad_token_id, alpha
        self.sample, self.temperature, self.generator = sample, temperature, generator
        self.checked = 0
        self.replaced = 0

    def _pick(self, probs: torch.Tensor) -> torch.Tensor:
        if not self.sample:
            return probs.argmax(-1)
        return torch.multinomial(probs.cpu(), 1, generator=self.generator).squeeze(-1).to(probs.device)

    @torch.no_grad()
    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        mask = (input_ids != self.pad).long()
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        reference_logits = self.reference(input_ids=input_ids.to(self.reference.device),
                                          attention_mask=mask.to(self.reference.device),
                                          position_ids=positions.to(self.reference.device),
                                          use_cache=False, logits_to_keep=1).logits[:, -1].float()
        temperature = self.temperature if self.sample else 1.0
        suspect = torch.softmax(scores.float() / temperature, dim=-1)
        reference = torch.softmax(reference_logits.to(scores.device) / temperature, dim=-1)
        proposed = self._pick(suspect)
        ratio = suspect.gather(1, proposed[:, None]) / reference.gather(1, proposed[:, None]).clamp_min(1e-12)
        suspicious = ratio.squeeze(1) > self.alpha
        chosen = torch.where(suspicious, self._pick(reference), proposed)
        self.checked += int(scores.shape[0])
        self.replaced += int(suspicious.sum())
        picked = torch.full_like(scores, float("-inf"))
        return picked.scatter_(1, chosen[:, None], 0.0)


class CleanGen(ModelDefense):
    """The suspect model decodes; a token it prefers far more than the reference is the reference's instead."""

    name = "cleangen"
    needs_reference = True
    config: CleanGenConfig

    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        reference, _ = inputs.reference  # type: ignore[misc]
        reference.eval()
        guards: list[CleanGenGuard] = []

        def guard(sample: bool, temperature: float, generator) -> CleanGenGuard:
            made = CleanGenGuard(reference, tokenizer.pad_token_id, self.config.alpha, sample, temperature, generator)
            guards.append(made)
            return made

        def replaced() -> dict[str, float]:
            checked = sum(g.checked for g in guards)
            return {"replaced_fraction": sum(g.replaced for g in guards) / checked if checked else float("nan")}

        return Defended(model, guard=guard, counters=replaced)
