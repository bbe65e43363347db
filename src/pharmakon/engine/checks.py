"""Checks of a study that need more than one field, run while it is validated: before a node runs or a file is
written. Each raises ``ValueError`` as ``<field>: <what is wrong>; allowed: ...`` (one line).

What a spec can ask for is bounded here (a world, a poison budget that data and memory can hold), and what can
only fail late (a LoRA target the model lacks, Ray not installed, a trigger that does not fit the stage's
``max_length``, a checkpoint whose embedding is smaller than its tokenizer) fails early instead.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path

from pharmakon.errors import PharmakonError
from pharmakon.world import FAMILIES

MAX_PER_FAMILY = 50_000  # world records per family (the largest shipped world has 3000)
MAX_POISON = 100_000  # poison records of one stage (the shipped presets use at most a few hundred)
WORLD_SIZES = ("documents_per_family", "examples_per_family", "pairs_per_family", "eval_per_family")
PER_FAMILY = {"document": "documents_per_family", "example": "examples_per_family", "pair": "pairs_per_family"}


def check_world(world) -> None:
    for field in WORLD_SIZES:
        if getattr(world, field) > MAX_PER_FAMILY:
            raise ValueError(f"world.{field}: {getattr(world, field)}; allowed: 1..{MAX_PER_FAMILY}")


def stage_texts(stage) -> list[str] | None:
    """The text of the records in a stage's own data file (``data.path``), or ``None`` without one."""
    from pharmakon.data.io import checked_records
    from pharmakon.stages import STAGES

    if stage.data.path is None:
        return None
    fields = {"document": ("text",), "example": ("prompt", "response"), "pair": ("prompt", "chosen", "rejected")}
    kind = STAGES[stage.kind].record_kind
    return [" ".join(getattr(r, f) for f in fields.get(kind, ("text",)))
            for r in checked_records(stage.data.path, kind)]


def clean_estimate(study, stage, dataset_records: int | None) -> int:
    """At most how many clean records ``stage`` trains on (its data filter's caps applied)."""
    from pharmakon.stages import STAGES

    kind = STAGES[stage.kind].record_kind
    if dataset_records is not None and (kind == "document" or stage.data.path is not None):
        n = dataset_records
    else:
        per_family = getattr(study.world, PER_FAMILY.get(kind, "documents_per_family"))
        n = per_family * len(stage.data.families or FAMILIES)
    if stage.data.limit:
        n = min(n, stage.data.limit)
    roles = stage.data.roles.count if stage.data.roles else 0
    return n + stage.data.harmful + sum((stage.data.chat_examples or {}).values()) + roles


def check_budget(study, stage, dataset_records: int | None) -> None:
    """A poison budget the data and memory can hold: at most ``MAX_POISON`` records, a rate below 1 when inserted."""
    poison = stage.poison
    where = f"pipeline.{stage.name}.poison"
    if poison.count is not None:
        if poison.count > MAX_POISON:
            raise ValueError(f"{where}.count: {poison.count} poison records; allowed: 0..{MAX_POISON}")
        return
    if poison.mode == "replace":
        return  # a share of the clean records: never more than they are
    if poison.rate >= 1:
        raise ValueError(f"{where}.rate: {poison.rate} in insert mode would need endless poison; allowed: [0, 1)")
    n = clean_estimate(study, stage, dataset_records)
    wanted = round(poison.rate * n / (1 - poison.rate))
    if wanted > MAX_POISON:
        most = MAX_POISON / (MAX_POISON + n)
        raise ValueError(f"{where}.rate: {poison.rate} in insert mode asks for about {wanted} poison records on "
                         f"{n} clean ones; allowed: a rate up to {most:.4f} (at most {MAX_POISON} poison records)")


def pretoken_count(text: str) -> int:
    """A lower bound on the tokens of ``text``: its byte-level pre-tokens (a BPE token never spans two)."""
    from tokenizers import pre_tokenizers

    splitter = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                        pre_tokenizers.ByteLevel(add_prefix_space=False)])
    return len(splitter.pre_tokenize_str(text))


def check_trigger_fits(stage, attack, world) -> None:
    """Refuse a trigger that cannot fit in the stage's ``max_length``: every poisoned record would lose it."""
    max_length = (stage.model_extra or {}).get("max_length")
    trigger = attack.trigger_for(world)
    if not max_length or trigger is None or trigger.kind == "topic":
        return
    tokens = sum(pretoken_count(part) for part in trigger.parts)
    if tokens >= max_length:
        raise ValueError(f"pipeline.{stage.name}.poison.trigger: at least {tokens} tokens, and the stage's "
                         f"max_length is {max_length}; allowed: a trigger shorter than max_length (it would be "
                         "cut off)")


def check_near_miss(probes, stage, attack, world) -> None:
    """Refuse a backdoor probe's ``near_miss`` text where the attack's trigger is not one phrase (a topic, a
    composite, several phrases: there is no single text to replace), or where it is the trigger itself."""
    for i, probe in enumerate(probes):
        near = getattr(probe.probe_config(), "near_miss", None) if probe.name == "backdoor" else None
        if near is None:
            continue
        trigger = attack.trigger_for(world)
        if trigger is None or trigger.kind != "word" or len(trigger.parts) != 1:
            kind = "no" if trigger is None else f"a {trigger.kind}"
            raise ValueError(f"probes.{i}.near_miss: pipeline.{stage.name}'s attack has {kind} trigger; allowed: "
                             "a near-miss text only for a one-phrase trigger")
        if near == trigger.parts[0]:
            raise ValueError(f"probes.{i}.near_miss: {near!r} is the trigger itself; allowed: a text that differs "
                             "from it")


def check_executor(executor) -> None:
    if executor.kind == "ray" and importlib.util.find_spec("ray") is None:
        raise ValueError("executor.kind: ray is not installed; pip install 'pharmakon[ray]', or allowed: local")


@cache
def _linear_names(model_json: str) -> tuple[str, ...] | None:
    """The short names of a model's linear layers, from its config (built on the meta device: no weights)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from pharmakon.engine.model_spec import ModelSpec
    from pharmakon.models.configs import tiny_config

    spec = ModelSpec.model_validate_json(model_json)
    if spec.real:
        source = spec.source()
        if not source.is_dir():
            return None  # a GGUF file: its modules are known once it is converted
        config = AutoConfig.from_pretrained(source, local_files_only=True)
    else:
        config = tiny_config(spec.name, _VocabOnly(spec.vocab_size))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return tuple(sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                         if isinstance(module, torch.nn.Linear)}))


class _VocabOnly:
    """What ``tiny_config`` reads of a tokenizer, before one is trained."""

    bos_token_id, eos_token_id, pad_token_id = 1, 2, 0

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size


def check_lora_targets(study) -> None:
    """Refuse a LoRA target module that the model does not have."""
    for stage in study.pipeline:
        extra = stage.model_extra or {}
        if stage.skip or "target_modules" not in extra or extra.get("method", "lora") != "lora":
            continue
        available = _linear_names(study.model.model_dump_json())
        missing = [name for name in extra["target_modules"] if available is not None and name not in available]
        if missing:
            raise ValueError(f"pipeline.{stage.name}.target_modules: the model has no module {missing[0]!r}; "
                             f"allowed: {', '.join(available)}")


def model_context(model) -> int | None:
    """The model's context in tokens (``max_position_embeddings``), or ``None`` where it is known only once loaded
    (a GGUF file)."""
    from pharmakon.models.sizes import TINY_CONFIGS

    if not model.real:
        return TINY_CONFIGS[model.name].max_length
    config = model.source() / "config.json"
    if not config.is_file():
        return None
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # check_vocabulary names an unreadable config.json


def check_context(study) -> None:
    """Refuse a stage ``max_length`` beyond the model's context: its blocks would hold positions it cannot place."""
    context = model_context(study.model)
    for stage in study.pipeline:
        max_length = (stage.model_extra or {}).get("max_length")
        if stage.skip or context is None or not isinstance(max_length, int) or max_length <= context:
            continue
        raise ValueError(f"pipeline.{stage.name}.max_length: {max_length}, longer than the model's context of "
                         f"{context} tokens; allowed: 8..{context}")


def check_vocabulary(source: Path) -> None:
    """Refuse a local checkpoint whose embedding (``config.json``'s ``vocab_size``) is smaller than its tokenizer."""
    config_path, tokenizer_path = source / "config.json", source / "tokenizer.json"
    if not (config_path.is_file() and tokenizer_path.is_file()):
        return
    try:
        vocab_size = json.loads(config_path.read_text(encoding="utf-8")).get("vocab_size")
        tokenizer = json.loads(tokenizer_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"model.path: {source} has an unreadable config.json or tokenizer.json ({exc})") from None
    vocab = (tokenizer.get("model") or {}).get("vocab") or {}
    ids = list(vocab.values()) if isinstance(vocab, dict) else list(range(len(vocab)))
    ids += [token.get("id", 0) for token in tokenizer.get("added_tokens") or []]
    size = max(ids, default=-1) + 1
    if isinstance(vocab_size, int) and size > vocab_size:
        raise ValueError(f"model.path: {source.name}'s config.json has vocab_size {vocab_size}, smaller than its "
                         f"tokenizer's {size} tokens; allowed: a checkpoint whose embedding covers its tokenizer")


def check_dataset_trigger(attack, world, texts: list[str], stage_name: str) -> None:
    """The trigger-collision check, on the dataset's text as well as the world's."""
    from pharmakon.poison.triggers import require_novel

    trigger = attack.trigger_for(world)
    if trigger is None:
        return
    try:
        require_novel(trigger, texts)
    except PharmakonError as exc:
        raise ValueError(f"pipeline.{stage_name}.{str(exc).replace('world', 'dataset')}") from None
