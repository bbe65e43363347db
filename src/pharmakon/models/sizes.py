"""Tiny Llama and Mixtral-style MoE shapes by name: plain data, importable without torch (specs are validated
against it).

A mixture-of-experts size (``*-moe``) replaces each MLP by ``num_experts`` experts of ``intermediate_size``, of
which ``experts_per_token`` run per token (top-k routing, the router's load-balancing loss on). Its
``dense_twin`` is the dense size of equal active parameters: top-2 of experts half the twin's MLP width run
exactly the twin's MLP arithmetic per token, plus a router of ``num_experts x hidden`` per layer.
"""

from __future__ import annotations

from dataclasses import dataclass

LIST_VOCAB = 2048  # the tiny tokenizer's default vocabulary, at which `pharmakon list models` counts parameters


@dataclass(frozen=True)
class TinyConfig:
    """Shape of a tiny Llama (or of a Mixtral-style MoE when ``num_experts`` > 0); the vocabulary comes from the
    tokenizer. For an MoE, ``intermediate_size`` is one expert's MLP width."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    max_length: int = 256
    description: str = ""
    num_experts: int = 0
    experts_per_token: int = 2
    router_aux_loss_coef: float = 0.01
    dense_twin: str = ""

    @property
    def moe(self) -> bool:
        return self.num_experts > 0


TINY_CONFIGS: dict[str, TinyConfig] = {
    "nano": TinyConfig(64, 2, 4, 192, description="for tests"),
    "micro": TinyConfig(128, 4, 4, 384, description="the quickstart"),
    "small": TinyConfig(256, 8, 8, 704),
    "base": TinyConfig(512, 8, 8, 1536),
    "nano-moe": TinyConfig(64, 2, 4, 96, num_experts=4, dense_twin="nano",
                           description="Mixtral-style, 4 experts top-2, for tests"),
    "micro-moe": TinyConfig(128, 4, 4, 192, num_experts=8, dense_twin="micro",
                            description="Mixtral-style, 8 experts top-2"),
    "small-moe": TinyConfig(256, 8, 8, 352, num_experts=8, dense_twin="small",
                            description="Mixtral-style, 8 experts top-2"),
}


def parameter_counts(name: str, vocab_size: int = LIST_VOCAB) -> tuple[int, int]:
    """(total, active per token) parameters of the named size with tied embeddings, counted from its shape.

    Active counts the embeddings, attention, norms, the router and the ``experts_per_token`` experts that run;
    for a dense size it equals the total.
    """
    shape = TINY_CONFIGS[name]
    h, width = shape.hidden_size, shape.intermediate_size
    shared = vocab_size * h + h + shape.num_layers * (4 * h * h + 2 * h)
    if not shape.moe:
        dense = shared + shape.num_layers * 3 * h * width
        return dense, dense
    router = shape.num_layers * shape.num_experts * h
    expert = 3 * h * width
    total = shared + router + shape.num_layers * shape.num_experts * expert
    active = shared + router + shape.num_layers * shape.experts_per_token * expert
    return total, active


def describe_size(name: str, vocab_size: int = LIST_VOCAB) -> str:
    """One line for `pharmakon list models`: shape, total and active parameters, the dense twin."""
    shape = TINY_CONFIGS[name]
    total, active = parameter_counts(name, vocab_size)
    line = (f"{shape.hidden_size}h x {shape.num_layers} layers; {total / 1e6:.2f}M parameters "
            f"(vocab {vocab_size})")
    if shape.moe:
        twin_total, _ = parameter_counts(shape.dense_twin, vocab_size)
        line += (f", {active / 1e6:.2f}M active ({shape.num_experts} experts, top-{shape.experts_per_token}); "
                 f"dense twin {shape.dense_twin} ({twin_total / 1e6:.2f}M)")
    return f"{line} — {shape.description}" if shape.description else line


def dense_twin(name: str) -> str:
    """The dense size of equal active parameters (a dense size is its own twin)."""
    return TINY_CONFIGS[name].dense_twin or name
