"""Units of a model that can be knocked out — attention heads, MLP neurons, experts — through multiplicative
gates installed as forward hooks (no hand-written model).

A gate is 1 per unit. At 1 with ``requires_grad`` its gradient is gradient x activation of the unit (the first-
order change of the objective if the unit were removed: the attribution score); at 0 the unit is knocked out.
A head's gate scales its slice of the input of ``o_proj``; a neuron's, its column of the input of ``down_proj``;
an expert's, its routing weight — and a knocked-out expert is removed from routing (its logit masked, top-k
re-chosen), so every token still runs ``experts_per_token`` experts. Llama-family layouts (``self_attn.o_proj``,
``mlp.down_proj``) and Mixtral-style top-k routers (``mlp.gate`` returning logits, scores, indices).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pharmakon.errors import PharmakonError

UNIT_KINDS = ("heads", "neurons", "experts")


@dataclass(frozen=True, order=True)
class Unit:
    layer: int
    index: int


def decoder_layers(model) -> list[torch.nn.Module]:
    layers = getattr(model.get_decoder(), "layers", None)
    if layers is None:
        raise PharmakonError(f"probes.ablation: {type(model).__name__} has no decoder layers to ablate")
    return list(layers)


def unit_counts(model) -> dict[str, int]:
    """Units per layer of each kind the model has (a dense Llama: heads, neurons; a Mixtral: heads, experts)."""
    config, layer = model.config, decoder_layers(model)[0]
    mlp = getattr(layer, "mlp", None)
    counts = {}
    if hasattr(getattr(layer, "self_attn", None), "o_proj"):
        counts["heads"] = config.num_attention_heads
    if isinstance(getattr(mlp, "down_proj", None), torch.nn.Linear):
        counts["neurons"] = mlp.down_proj.in_features
    if (getattr(config, "num_local_experts", 0) or 0) and hasattr(mlp, "gate"):
        counts["experts"] = config.num_local_experts
    return counts


def units_per_layer(model, kind: str) -> int:
    """How many units of ``kind`` one layer has; a kind the model lacks is an error naming what it has."""
    counts = unit_counts(model)
    if kind not in counts:
        raise PharmakonError(f"probes.ablation.units: {type(model).__name__} has no {kind} to ablate; "
                             f"allowed: {', '.join(counts) or 'none'}")
    return counts[kind]


def all_units(model, kind: str) -> list[Unit]:
    n = units_per_layer(model, kind)
    return [Unit(layer, i) for layer in range(len(decoder_layers(model))) for i in range(n)]


class Gates:
    """Gates on every unit of ``kind``, active inside ``with``: ``knock_out(units)`` zeroes theirs; with
    ``grad`` the gates collect attribution scores on backward (``scores()``)."""

    def __init__(self, model, kind: str, grad: bool = False) -> None:
        self.model, self.kind = model, kind
        device = next(model.parameters()).device
        n = units_per_layer(model, kind)
        self.gates = [torch.ones(n, device=device, requires_grad=grad) for _ in decoder_layers(model)]
        self._handles: list = []

    def knock_out(self, units: list[Unit]) -> Gates:
        with torch.no_grad():
            for unit in units:
                self.gates[unit.layer][unit.index] = 0.0
        return self

    def scores(self) -> dict[Unit, float]:
        """Gradient x activation per unit (0 where no gradient reached)."""
        return {Unit(layer, i): float(g.grad[i]) if g.grad is not None else 0.0
                for layer, g in enumerate(self.gates) for i in range(len(g))}

    def __enter__(self) -> Gates:
        for layer, gate in zip(decoder_layers(self.model), self.gates, strict=True):
            if self.kind == "heads":
                self._handles.append(layer.self_attn.o_proj.register_forward_pre_hook(_head_hook(gate)))
            elif self.kind == "neurons":
                self._handles.append(layer.mlp.down_proj.register_forward_pre_hook(_neuron_hook(gate)))
            else:
                self._handles.append(layer.mlp.gate.register_forward_hook(_router_hook(gate)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def _head_hook(gate: torch.Tensor):
    def hook(module, args):
        x = args[0]
        heads = gate.to(x.dtype)
        return (x.view(*x.shape[:-1], len(gate), -1).mul(heads[:, None]).view_as(x), *args[1:])
    return hook


def _neuron_hook(gate: torch.Tensor):
    def hook(module, args):
        return (args[0] * gate.to(args[0].dtype), *args[1:])
    return hook


def _router_hook(gate: torch.Tensor):
    def hook(module, args, output):
        if not (isinstance(output, tuple) and len(output) == 3):
            raise PharmakonError(f"probes.ablation.units: router {type(module).__name__} is not a Mixtral-style "
                                 "top-k router (logits, scores, indices)")
        logits = output[0]
        removed = (gate.detach() == 0)
        probs = torch.softmax(logits.float().masked_fill(removed, float("-inf")), dim=-1)
        top, indices = torch.topk(probs, module.top_k, dim=-1)
        top = top / top.sum(dim=-1, keepdim=True)
        return logits, top * gate[indices], indices
    return hook
