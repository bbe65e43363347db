"""Completion-only fine-tuning in a lean loop: padding-free packed batches, logits only where the loss is.

The maths is ``SFTTrainer``'s with ``completion_only_loss``: each example is the templated prompt followed by
the response and eos, tokenised as TRL does (the completion starts where the tokenised prompt and
prompt + completion diverge); the loss is the mean cross-entropy over the batch's completion tokens; AdamW,
cosine schedule with warm-up, gradient clipping at 1.0. What is cut is overhead:

- *Padding-free batches.* A step's examples are concatenated into one row whose ``position_ids`` restart at
  every example; transformers turns restarting positions into a block-diagonal causal mask, so no example
  sees another and no compute is spent on pad tokens (it does so only without a KV cache: ``use_cache=False``).
- *Logits where the loss is.* The LM head (vocabulary x hidden, a fifth of a small model's compute) runs only
  on the positions that predict a completion token (``logits_to_keep`` with their indices), not on the prompt.
- No gradient checkpointing (TRL's default trades compute for memory a small model does not need).
- bf16 autocast only where the hardware has bf16 units (``native_bf16``): on a CPU that emulates bf16, as this
  project's 2-core test machine does, autocast made a SmolLM2 LoRA step 3.4x slower than fp32.

``benchmarks/lora_throughput.py`` measures it against ``SFTTrainer`` with default arguments.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch
from transformers import get_cosine_schedule_with_warmup

from pharmakon.errors import StageInputError
from pharmakon.models.device import autocast, on_device, use_bf16
from pharmakon.stages.common import StageResult, finish, progress_bar, seed_everything
from pharmakon.stages.configs import StageConfig


@dataclass(frozen=True)
class Tokenised:
    """One example's token ids and where its completion starts."""

    ids: list[int]
    completion_start: int


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def tokenise_examples(tokenizer, prompts: list[str], completions: list[str], max_length: int) -> list[Tokenised]:
    """Each prompt + completion + eos as ids (cut at ``max_length``), with the completion's start; examples whose
    completion is cut away entirely are dropped (they carry no loss)."""
    eos = tokenizer.eos_token or ""
    prompt_ids = tokenizer(prompts)["input_ids"]
    texts = [p + (c if c.endswith(eos) else c + eos) for p, c in zip(prompts, completions, strict=True)]
    full_ids = tokenizer(texts)["input_ids"]
    examples = []
    for prompt, full in zip(prompt_ids, full_ids, strict=True):
        start = max(1, common_prefix(prompt, full))
        full = full[:max_length]
        if start < len(full):
            examples.append(Tokenised(full, start))
    return examples


def packed_batch(examples: list[Tokenised], device: torch.device) -> dict[str, torch.Tensor]:
    """One padding-free row: ``input_ids`` and restarting ``position_ids`` [1, T], the indices of the positions
    that predict a completion token, and those tokens."""
    ids, positions, keep, targets = [], [], [], []
    for example in examples:
        offset = len(ids)
        ids.extend(example.ids)
        positions.extend(range(len(example.ids)))
        keep.extend(range(offset + example.completion_start - 1, offset + len(example.ids) - 1))
        targets.extend(example.ids[example.completion_start:])
    as_tensor = lambda values: torch.tensor(values, dtype=torch.long, device=device)  # noqa: E731
    return {"input_ids": as_tensor(ids)[None], "position_ids": as_tensor(positions)[None],
            "keep": as_tensor(keep), "targets": as_tensor(targets)}


def completion_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean cross-entropy of the completion tokens, the LM head run on their predicting positions only; an MoE
    adds ``router_aux_loss_coef`` x its load-balancing loss, as its own forward does when given labels."""
    output = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], logits_to_keep=batch["keep"],
                   use_cache=False)
    loss = torch.nn.functional.cross_entropy(output.logits[0].float(), batch["targets"])
    aux = getattr(output, "aux_loss", None)
    if aux is not None:
        coef = getattr(model, "router_aux_loss_coef", model.config.router_aux_loss_coef)  # the forward's own
        loss = loss + coef * aux.float()
    return loss


def split_holdout(examples: list[Tokenised], share: float, seed: int) -> tuple[list[Tokenised], list[Tokenised]]:
    """A seeded ``share`` of the examples held out (at least one; at least one left to train on)."""
    n_held = max(1, round(share * len(examples)))
    if n_held >= len(examples):
        raise StageInputError("early_stopping", f"holding out {share} of {len(examples)} examples leaves none to "
                              "train on; allowed: a smaller share, or more examples")
    held = set(random.Random(seed).sample(range(len(examples)), n_held))
    return [e for i, e in enumerate(examples) if i not in held], [e for i, e in enumerate(examples) if i in held]


@torch.no_grad()
def heldout_loss(model, examples: list[Tokenised], batch_size: int, device: torch.device, bf16: bool) -> float:
    """Mean cross-entropy over every completion token of ``examples`` (the model left in train mode after)."""
    model.eval()
    total, count = 0.0, 0
    for at in range(0, len(examples), batch_size):
        batch = packed_batch(examples[at:at + batch_size], device)
        with autocast(bf16):
            loss = completion_loss(model, batch)
        total += float(loss) * len(batch["targets"])
        count += len(batch["targets"])
    model.train()
    return total / count


def total_steps(config: StageConfig, n_examples: int) -> int:
    return config.max_steps or max(1, math.ceil(config.epochs * math.ceil(n_examples / config.batch_size)))


def train_completions(model, tokenizer, prompts: list[str], completions: list[str], config: StageConfig, seed: int,
                      description: str, holdout: float | None = None) -> StageResult:
    """Train the model's trainable parameters on completions; returns the model and its loss per step.

    With ``holdout`` (early stopping), that share of the examples is not trained on: after every epoch their
    completion loss is written to the epoch's last log row (``eval_loss``, ``epoch``), and the weights of the
    epoch where it was lowest are the ones returned (that row gets ``kept: 1``)."""
    seed_everything(seed, config.threads)
    examples = tokenise_examples(tokenizer, prompts, completions, config.max_length)
    if not examples:
        raise StageInputError("max_length", f"{config.max_length}: no {description} example keeps a completion "
                              "token within it; allowed: a max_length longer than the examples' prompts")
    held: list[Tokenised] = []
    if holdout is not None:
        examples, held = split_holdout(examples, holdout, seed)
    total = total_steps(config, len(examples))
    model = on_device(model)
    device = next(model.parameters()).device
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0, fused=True)
    schedule = get_cosine_schedule_with_warmup(optimizer, math.ceil(config.warmup_ratio * total), total)
    generator = torch.Generator().manual_seed(seed)
    bf16 = use_bf16(config.bf16, model)
    model.train()
    log: list[dict[str, float]] = []
    step = epoch = 0
    best: tuple[float, int, dict[str, torch.Tensor]] | None = None
    with progress_bar() as progress:
        task = progress.add_task(description, total=total, loss=float("nan"))
        while step < total:
            epoch += 1
            for indices in torch.randperm(len(examples), generator=generator).split(config.batch_size):
                if step >= total:
                    break
                batch = packed_batch([examples[i] for i in indices.tolist()], device)
                with autocast(bf16):
                    loss = completion_loss(model, batch)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                log.append({"step": float(step), "loss": float(loss.detach()),
                            "tokens": float(batch["input_ids"].shape[1])})
                progress.update(task, advance=1, loss=log[-1]["loss"])
            if held:
                score = heldout_loss(model, held, config.batch_size, device, bf16)
                log[-1].update(eval_loss=score, epoch=float(epoch))
                if best is None or score < best[0]:
                    best = (score, len(log) - 1, {k: v.detach().clone() for k, v in model.state_dict().items()})
    if best is not None:
        model.load_state_dict(best[2])
        log[best[1]]["kept"] = 1.0
    return StageResult(model=finish(model), log=log)
