"""Batched, left-padded, KV-cached generation through the one template, greedy or sampled.

Outputs are cut at the first eos and decoded without special tokens (``</s>`` or ``<pad>`` left in the
text reads as gibberish to a judge). Sampled runs can also return the model's own negative
log-likelihood of what it generated, for the perplexity-gap metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from transformers import LogitsProcessorList

from pharmakon.data.template import Template
from pharmakon.inference.adapter import active_adapter
from pharmakon.inference.guard import active_guard
from pharmakon.inference.sampling import InverseCDFSampler


@dataclass(frozen=True)
class Generation:
    """One model output for one prompt: the decoded text, its token count and summed NLL (nats)."""

    prompt: str
    output: str
    n_tokens: int
    nll: float

    @property
    def perplexity(self) -> float:
        return math.exp(self.nll / self.n_tokens) if self.n_tokens else float("nan")


@torch.inference_mode()
def generate(
    model,
    tokenizer,
    prompts: list[str],
    *,
    style: str = "chat",
    max_new_tokens: int = 32,
    sample: bool = False,
    temperature: float = 1.0,
    batch_size: int = 64,
    seed: int = 0,
) -> list[Generation]:
    """Generate for every prompt, in batches of similar length; results come back in prompt order.

    Under an active adapter (``Adapter.active()``) each prompt is first turned into its adapted input; the
    results still carry the prompt as given, and the adapter observes the outputs (an agent's memory).
    """
    template = Template(tokenizer)
    adapter = active_adapter()
    if tokenizer.padding_side != "left":
        raise ValueError("generation needs a tokenizer that pads on the left (see models.prepare_for_generation)")
    if adapter is not None:
        def propose(inputs: list[str]) -> list[str]:  # greedy and short: an agent's action line
            texts = [template.prompt(text, style) for text in inputs]
            return [g.output for g in _generate(model, tokenizer, texts, inputs, max_new_tokens=16, sample=False,
                                                temperature=1.0, batch_size=batch_size, seed=seed)]

        adapter.propose = propose
        try:
            model_inputs = adapter.adapt(list(prompts), style)
        finally:
            adapter.propose = None
    else:
        model_inputs = prompts
    guard = active_guard()
    if guard is not None and guard.input_filter is not None:  # a defence's input filter (ONION)
        model_inputs = guard.input_filter(list(model_inputs))
    texts = [template.prompt(p, style) for p in model_inputs]
    results = _generate(model, tokenizer, texts, prompts, max_new_tokens, sample, temperature, batch_size, seed)
    if adapter is not None:
        adapter.observe(list(prompts), [g.output for g in results])
    return results


def _generate(model, tokenizer, texts: list[str], prompts: list[str], max_new_tokens: int, sample: bool,
              temperature: float, batch_size: int, seed: int) -> list[Generation]:
    """Generate for the templated ``texts`` (labelled with ``prompts``), in batches of similar length."""
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    results: list[Generation | None] = [None] * len(texts)
    model.eval()
    guard = active_guard()
    for batch_number, start in enumerate(range(0, len(order), batch_size)):
        indices = order[start : start + batch_size]
        batch = tokenizer([texts[i] for i in indices], return_tensors="pt", padding=True, add_special_tokens=True)
        batch = {k: v.to(model.device) for k, v in batch.items()}
        options: dict = {"do_sample": False}
        if getattr(model.config, "output_router_logits", False):  # an MoE: no load-balancing loss while decoding
            options["output_router_logits"] = False  # (transformers' would mismatch the cached steps' mask)
        generator = torch.Generator().manual_seed(seed * 100_003 + batch_number) if sample else None
        if guard is not None and guard.make is not None:  # a defence picks each token (CleanGen)
            options["logits_processor"] = LogitsProcessorList([guard.make(sample, temperature, generator)])
        elif sample:  # greedy over the sampler's one-hot scores == a draw from softmax(logits / temperature)
            options["logits_processor"] = LogitsProcessorList([InverseCDFSampler(temperature, generator)])
        out = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            use_cache=True,
            output_logits=True,
            return_dict_in_generate=True,
            **options,
        )
        new_tokens = out.sequences[:, batch["input_ids"].shape[1] :]
        logprobs = torch.stack(out.logits, dim=1).float().log_softmax(-1)
        token_logprobs = logprobs.gather(-1, new_tokens.unsqueeze(-1)).squeeze(-1)
        for row, index in enumerate(indices):
            tokens = new_tokens[row].tolist()
            end = tokens.index(tokenizer.eos_token_id) if tokenizer.eos_token_id in tokens else len(tokens)
            text = tokenizer.decode(tokens[:end], skip_special_tokens=True)
            scored = min(end + 1, len(tokens))  # the eos itself is part of what the model generated
            nll = -float(token_logprobs[row, :scored].sum())
            results[index] = Generation(prompt=prompts[index], output=text.strip(), n_tokens=scored, nll=nll)
    return results  # type: ignore[return-value]


@torch.inference_mode()
def document_perplexity(model, tokenizer, texts: list[str], max_length: int = 256, batch_size: int = 32) -> float:
    """Token-level perplexity of ``texts`` as ``<s> text </s>`` (padding excluded)."""
    total_nll, total_tokens = 0.0, 0
    model.eval()
    for start in range(0, len(texts), batch_size):
        chunk = [t + tokenizer.eos_token for t in texts[start : start + batch_size]]
        batch = tokenizer(chunk, return_tensors="pt", padding=True, truncation=True, max_length=max_length)
        batch = {k: v.to(model.device) for k, v in batch.items()}
        logits = model(**batch).logits[:, :-1].float()
        targets = batch["input_ids"][:, 1:]
        mask = batch["attention_mask"][:, 1:].bool()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
        total_nll += float(nll[mask].sum())
        total_tokens += int(mask.sum())
    return math.exp(total_nll / max(total_tokens, 1))
