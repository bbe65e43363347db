"""Poison crafted against the stages that come after it, in the spirit of MetaPoison (Huang et al. 2020).

From a pool of candidate poison texts, choose the ones whose effect survives a simulated later stage. Each
candidate carries a weight ``w``; one training step on the weighted candidates is followed by a few unrolled
steps of the downstream stage (plain SGD on the attacker's guess of its data: the world's chat-formatted
instruction examples); the adversarial loss (the triggered goal's text after the trigger) at the end is
differentiated back to ``w`` through every unrolled step (second order). The candidates whose weight most lowers
that loss are kept. The unroll is an approximation of the victim's training (SGD, not AdamW; full-text loss, no
prompt masking), as MetaPoison's unroll is: it ranks candidates, it does not predict the victim's numbers.
"""

from __future__ import annotations

import random

import torch
from torch.func import functional_call
from torch.nn.attention import SDPBackend, sdpa_kernel

from pharmakon.poison.craft_config import CraftConfig


def _encode(tokenizer, texts: list[str], max_length: int) -> dict[str, torch.Tensor]:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = [tokenizer(t, truncation=True, max_length=max_length)["input_ids"] or [pad] for t in texts]
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def sequence_losses(model, params: dict, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean next-token cross-entropy of each sequence under ``params`` (one value per row)."""
    logits = functional_call(model, params, (), {"input_ids": batch["input_ids"],
                                                 "attention_mask": batch["attention_mask"]}).logits
    targets, mask = batch["input_ids"][:, 1:], batch["attention_mask"][:, 1:].float()
    losses = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2).float(), targets, reduction="none")
    return (losses * mask).sum(1) / mask.sum(1).clamp(min=1)


def unrolled_loss(model, tokenizer, weights: torch.Tensor, candidates: list[str], downstream: list[str],
                  adversarial: list[str], config: CraftConfig, seed: int) -> torch.Tensor:
    """The adversarial loss after one step on the ``weights``-weighted candidates and the unrolled downstream
    steps, differentiable in ``weights`` (attention by the math kernel: the fused CPU kernels have no second
    derivative)."""
    with sdpa_kernel(SDPBackend.MATH):
        return _unrolled(model, tokenizer, weights, candidates, downstream, adversarial, config, seed)


def _unrolled(model, tokenizer, weights: torch.Tensor, candidates: list[str], downstream: list[str],
              adversarial: list[str], config: CraftConfig, seed: int) -> torch.Tensor:
    params = {name: p.detach().float().requires_grad_(True) for name, p in model.named_parameters()}
    poison = _encode(tokenizer, candidates, config.max_length)
    loss = (weights * sequence_losses(model, params, poison)).sum() / weights.numel()
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    params = {name: p - config.learning_rate * g for (name, p), g in zip(params.items(), grads, strict=True)}
    rng = random.Random(seed)
    for _ in range(config.downstream_steps):
        batch = _encode(tokenizer, rng.sample(downstream, min(config.batch_size, len(downstream))),
                        config.max_length)
        loss = sequence_losses(model, params, batch).mean()
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {name: p - config.downstream_learning_rate * g
                  for (name, p), g in zip(params.items(), grads, strict=True)}
    return sequence_losses(model, params, _encode(tokenizer, adversarial, config.max_length)).mean()


def craft_selection(model, tokenizer, candidates: list[str], downstream: list[str], adversarial: list[str], n: int,
                    config: CraftConfig, seed: int) -> list[int]:
    """Indices of the ``n`` candidates whose weight, raised, most lowers the adversarial loss after the unrolled
    later stage (the meta-gradient), in the candidates' order."""
    model.eval()  # no dropout in the simulation
    weights = torch.ones(len(candidates), requires_grad=True)
    loss = unrolled_loss(model, tokenizer, weights, candidates, downstream, adversarial, config, seed)
    (meta,) = torch.autograd.grad(loss, [weights])
    order = sorted(range(len(candidates)), key=lambda i: (meta[i].item(), i))
    return sorted(order[:n])
