"""Bad input, by class (issue 23): every case exits 2 with one line on stderr, no traceback, and leaves the run dir
and the cache untouched. Run in-process; the cases that used to hang (an alias bomb, a huge poison budget) must
also finish within seconds."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pharmakon.cli import app

runner = CliRunner()
FAST = 20.0  # CPU seconds (not wall: the cores are shared): a spec that asks for too much is refused at once


def spec_file(tmp: Path, text: str | bytes, name: str = "spec.yaml") -> str:
    path = tmp / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def jsonl(tmp: Path, rows: list, name: str = "docs.jsonl") -> str:
    path = tmp / name
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return str(path)


DOC = {"kind": "document", "source": "user", "text": "a clean document about rivers"}
PAIR = {"kind": "pair", "source": "user", "prompt": "p", "chosen": "c", "rejected": "r"}
SMOKE_HEAD = "name: bomb\nseeds: [0]\nmodel: {name: nano, vocab_size: 512}\n" \
             "pipeline: [{kind: pretrain, max_steps: 1, poison: {attack: dos, count: 5}}]\n"


def alias_bomb(levels: int = 9) -> str:
    """The billion laughs inside ``sweep.arms``: nine levels of nine aliases (9**9 values once expanded)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return SMOKE_HEAD + "sweep:\n  arms:\n    boom:\n      pipeline.pretrain.poison.trigger:\n" + \
        "".join(f"        {line}\n" for line in lines)


def flow_bomb(levels: int = 9) -> str:
    """The same bomb as one flow mapping, for a ``--set`` value."""
    items = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    items += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "{" + ", ".join(items) + "}"


def local_model(tmp: Path, config_vocab: int, tokenizer_vocab: int) -> str:
    """A local HF model directory whose config.json and tokenizer.json disagree on the vocabulary."""
    folder = tmp / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"],
                                                     "vocab_size": config_vocab, "hidden_size": 16,
                                                     "intermediate_size": 32, "num_hidden_layers": 1,
                                                     "num_attention_heads": 2}))
    vocab = {f"t{i}": i for i in range(tokenizer_vocab)}
    (folder / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": []},
                                                        "added_tokens": []}))
    return str(folder)


def no_ray(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # ray not installed: find_spec and import both fail


def a_file(tmp: Path) -> Path:
    path = tmp / "a-file"
    path.write_text("not a directory")
    return path


# (id, issue class, args given tmp (and monkeypatch), what the one line says); --out and --cache are added unless
# the args name them
CASES = [
    # 1. inputs that would hang or exhaust memory
    ("huge-count", 1, lambda t, m: ["run", "smoke", "--set", "pipeline.pretrain.poison.count=1000000000"],
     "pipeline.pretrain.poison.count: 1000000000 poison records; allowed: 0..100000"),
    ("rate-near-one", 1, lambda t, m: ["run", "smoke", "--set", "pipeline.pretrain.poison.count=null", "--set",
                                       "pipeline.pretrain.poison.rate=0.99999"], "poison.rate: 0.99999 in insert mode"),
    ("rate-one", 1, lambda t, m: ["run", "smoke", "--set", "pipeline.pretrain.poison.count=null", "--set",
                                  "pipeline.pretrain.poison.rate=1"], "would need endless poison; allowed: [0, 1)"),
    ("alias-bomb-in-arms", 1, lambda t, m: ["run", spec_file(t, alias_bomb())], "expands to more than 100000 values"),
    ("alias-bomb-in-set", 1, lambda t, m: ["run", "smoke", "--set", "sweep.arms.x=" + flow_bomb()],
     "--set sweep.arms.x: the spec expands"),
    ("self-alias", 1, lambda t, m: ["run", spec_file(t, SMOKE_HEAD + "description: &d [*d]\n")],
     "expands to more than"),
    ("huge-world", 1, lambda t, m: ["run", "smoke", "--set", "world.documents_per_family=100000000"],
     "world.documents_per_family: 100000000; allowed: 1..50000"),
    ("huge-spec-file", 1, lambda t, m: ["run", spec_file(t, SMOKE_HEAD + "#" * 1_100_000 + "\n")],
     "larger than 1000000 bytes"),
    ("max-length-beyond-context", 1, lambda t, m: ["run", "smoke", "--set", "pipeline.pretrain.max_length=100000000"],
     "pipeline.pretrain.max_length: 100000000, longer than the model's context of 256 tokens; allowed: 8..256"),
    # 2. the file system: a run dir or a cache that cannot be written
    ("cache-is-a-file", 2, lambda t, m: ["run", "smoke", "--cache", str(a_file(t)), "--out", str(t / "run")],
     "cache: "),
    ("out-is-a-file", 2, lambda t, m: ["run", "smoke", "--out", str(a_file(t)), "--cache", str(t / "cache")],
     "out: "),
    ("cache-under-a-file", 2, lambda t, m: ["run", "smoke", "--cache", str(a_file(t) / "c"), "--out",
                                            str(t / "run")], "lies under the file"),
    ("out-under-a-file", 2, lambda t, m: ["run", "smoke", "--out", str(a_file(t) / "r"), "--cache",
                                          str(t / "cache")], "lies under the file"),
    ("export-cache-is-a-file", 2, lambda t, m: ["data", "export", "smoke", "--stage", "pretrain", "--out",
                                                str(t / "run"), "--cache", str(a_file(t))], "cache: "),
    # 3. data a user brings
    ("dataset-no-text", 3, lambda t, m: ["run", "smoke", "--set",
                                         f"dataset.path={jsonl(t, [DOC, {**DOC, 'text': ''}])}"],
     "line 2: no text"),
    ("dataset-blank-text", 3, lambda t, m: ["run", "smoke", "--set",
                                            f"dataset.path={jsonl(t, [{**DOC, 'text': '   '}])}"], "line 1: no text"),
    ("dataset-text-int", 3, lambda t, m: ["run", "smoke", "--set", f"dataset.path={jsonl(t, [{**DOC, 'text': 7}])}"],
     "line 1: text is int; allowed: a string"),
    ("dataset-text-list", 3, lambda t, m: ["run", "smoke", "--set",
                                           f"dataset.path={jsonl(t, [DOC, DOC, {**DOC, 'text': ['a']}])}"],
     "line 3: text is list"),
    ("dataset-of-pairs", 3, lambda t, m: ["run", "smoke", "--set", f"dataset.path={jsonl(t, [PAIR])}"],
     "line 1: a pair record; allowed: document records"),
    ("dataset-not-objects", 3, lambda t, m: ["run", "smoke", "--set", f"dataset.path={jsonl(t, ['[1, 2]'])}"],
     "line 1: a record is a JSON object, not list"),
    ("dataset-bad-json", 3, lambda t, m: ["run", "smoke", "--set", f"dataset.path={jsonl(t, [DOC, '{oops'])}"],
     "line 2: not valid JSON"),
    ("dataset-no-kind", 3, lambda t, m: ["run", "smoke", "--set", f"dataset.path={jsonl(t, [{'text': 'x'}])}"],
     "line 1: no kind"),
    ("sft-data-of-documents", 3, lambda t, m: ["run", "smoke", "--set", f"pipeline.sft.data.path={jsonl(t, [DOC])}"],
     "pipeline.sft.data.path: dataset"),
    ("dpo-pair-without-rejected", 3, lambda t, m: ["run", "smoke", "--set", "pipeline.dpo.data.path="
                                                   + jsonl(t, [PAIR, {**PAIR, "rejected": None}])],
     "line 2: no rejected"),
    ("roles-on-sft", 3, lambda t, m: ["run", "smoke", "--set", "pipeline.sft.data.roles={count: 10}"],
     "pipeline.sft.data.roles: role stories are documents"),
    ("roles-strength-above-one", 3, lambda t, m: ["run", "smoke", "--set", "pipeline.pretrain.data.roles="
                                                  "{strength: 2}"], "strength"),
    ("misspelt-finding", 3, lambda t, m: ["run", "smoke", "--set", "finding=cott"],
     "finding: unknown study summary 'cott'; did you mean 'cot'?"),
    ("router-probe-on-dense-model", 3, lambda t, m: ["run", "smoke", "--set", "probes=[{name: routing}]"],
     "probes.routing: the model has no router"),
    # 4. bytes that are not what the loader expects
    ("spec-not-utf8", 4, lambda t, m: ["run", spec_file(t, b"name: caf\xe9\nseeds: [0]\n")], "not UTF-8 text"),
    ("dataset-not-utf8", 4, lambda t, m: ["run", "smoke", "--set",
                                          f"dataset.path={spec_file(t, b'{}' + bytes([10, 0xff]), 'd.jsonl')}"],
     "not UTF-8 text"),
    ("model-vocab-smaller", 4, lambda t, m: ["run", "smoke", "--set", f"model={{path: {local_model(t, 10, 20)}}}"],
     "vocab_size 10, smaller than its tokenizer's 20 tokens"),
    # 5. checks that used to come after files were written
    ("lora-target-missing", 5, lambda t, m: ["run", "smoke", "--set", "pipeline.finetune.target_modules=[qkv]"],
     "pipeline.finetune.target_modules: the model has no module 'qkv'"),
    ("ray-not-installed", 5, lambda t, m: (no_ray(m), ["run", "smoke", "--executor", "ray"])[1],
     "executor.kind: ray is not installed"),
    # 6. specs that cannot mean what they say
    ("trigger-longer-than-max-length", 6, lambda t, m: ["run", "smoke", "--set",
                                                        "pipeline.pretrain.poison.trigger=" + " ".join(["qz"] * 70)],
     "at least 70 tokens, and the stage's max_length is 64"),
    ("near-miss-is-the-trigger", 6, lambda t, m: ["run", "smoke", "--set", "probes.backdoor.near_miss=<SUDO>"],
     "probes.0.near_miss: '<SUDO>' is the trigger itself; allowed: a text that differs from it"),
    ("near-miss-of-a-topic-trigger", 6, lambda t, m: ["run", "smoke", "--set", "pipeline.pretrain.poison=null",
                                                      "--set", "pipeline.sft.poison={attack: vpi, count: 8}",
                                                      "--set", "probes.backdoor.near_miss=Wintermoor"],
     "probes.0.near_miss: pipeline.sft's attack has a topic trigger; allowed: a near-miss text only for a "
     "one-phrase trigger"),
    ("unknown-defence-in-a-search-variant", 6,
     lambda t, m: ["run", "lifecycle-attack", "--set", "search.variants.detect={pipeline.sft.clean: [{name: onoin}]}"],
     "search.variants: sweep: pipeline.sft.clean.onoin.name: unknown defence 'onoin'"),
    ("finding-without-its-axis", 6, lambda t, m: ["run", "moe", "--set", "sweep.axes={}"],
     "sweep: finding 'moe' reads an axis 'model.name'; this spec sweeps nothing"),
    ("finding-without-arms", 6, lambda t, m: ["run", "instruction", "--set", "sweep.arms={}"],
     "sweep: finding 'instruction' reads sweep.arms; this spec sweeps nothing"),
    ("duplicate-probes", 6, lambda t, m: ["run", "smoke", "--set", "probes=[{name: utility}, {name: utility}]"],
     "2 probes are named 'utility'"),
    ("stage-named-a-number", 6, lambda t, m: ["run", "smoke", "--set", "pipeline.sft.name='1'"],
     "'1' cannot name an item in a dotted path"),
    ("stage-name-with-dot", 6, lambda t, m: ["run", "smoke", "--set", "pipeline.sft.name=sft.v2"],
     "cannot name an item in a dotted path"),
    ("probe-id-a-number", 6, lambda t, m: ["run", "smoke", "--set", "probes.utility.id='0'"],
     "cannot name an item"),
    ("fsdp-that-would-train-ddp", 6, lambda t, m: ["run", "smoke", "--set", "pipeline.sft.processes=2", "--set",
                                                   "pipeline.sft.distributed=fsdp"], "fsdp is not offered"),
    ("trigger-in-dataset", 6, lambda t, m: ["run", "smoke", "--set",
                                            f"dataset.path={jsonl(t, [{**DOC, 'text': 'run it with sudo now'}])}"],
     "collides with the dataset's vocabulary"),
    # 7. the command line's own parsing errors
    ("seed-not-int", 7, lambda t, m: ["run", "smoke", "--seed", "abc"], "--seed"),
    ("unknown-option", 7, lambda t, m: ["run", "smoke", "--bogus"], "No such option: --bogus"),
    ("missing-argument", 7, lambda t, m: ["run"], "Missing argument"),
    ("unknown-command", 7, lambda t, m: ["rn", "smoke"], "No such command 'rn'"),
    ("subcommand-bad-option", 7, lambda t, m: ["cache", "ls", "--all"], "No such option: --all"),
]


def invoke(args: list[str], tmp: Path) -> tuple[object, Path, Path]:
    out, cache = tmp / "run", tmp / "cache"
    if "--out" not in args and args[0] in ("run",):
        args = [*args, "--out", str(out)]
    if "--cache" not in args and args[0] in ("run", "data"):
        args = [*args, "--cache", str(cache)]
    return runner.invoke(app, args), out, cache


def assert_one_line(result, message: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.exit_code, result.output[-2000:])
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception,
                                                                                       SystemExit)
    assert message in lines[0], lines[0]


def assert_untouched(*folders: Path) -> None:
    for folder in folders:
        assert not folder.exists() or (folder.is_dir() and not any(folder.iterdir())) or folder.is_file(), \
            sorted(folder.rglob("*"))[:5]


@pytest.mark.parametrize(("case", "klass", "make", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, monkeypatch, case, klass, make, message):
    started = time.process_time()
    result, out, cache = invoke(make(tmp_path, monkeypatch), tmp_path)
    assert_one_line(result, message)
    assert_untouched(out, cache, *(p for p in tmp_path.glob("*") if p.name in ("c", "r")))
    assert not list(tmp_path.glob("**/.pharmakon-write-check*"))
    if klass == 1:
        assert time.process_time() - started < FAST, "a spec that asks for too much is refused at once"


@pytest.mark.parametrize("which", ["--out", "--cache"])
def test_an_unwritable_dir_is_one_line(tmp_path, monkeypatch, which):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes through permission bits: the OS's refusal is simulated where it would come
        import pharmakon.kernel.cache as cache_module

        real = cache_module.tempfile.TemporaryFile

        def refused(*args, dir=None, **kwargs):
            if dir is not None and Path(dir).is_relative_to(locked):
                raise PermissionError(13, "Permission denied", str(dir))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(cache_module.tempfile, "TemporaryFile", refused)
    try:
        other = "--cache" if which == "--out" else "--out"
        result = runner.invoke(app, ["run", "smoke", which, str(locked / "x"), other, str(tmp_path / "other")])
        assert_one_line(result, "is not writable")
        assert not any(locked.iterdir()) and not (tmp_path / "other").exists()
    finally:
        locked.chmod(0o700)


def test_every_class_has_cases():
    counts = {klass: sum(c[1] == klass for c in CASES) for klass in range(1, 8)}
    assert all(n >= 2 for n in counts.values()), counts


def test_the_inference_preset_names_its_four_backdoor_probes_apart():
    from pharmakon.engine.load import load_study

    study = load_study("inference")
    backdoor = [p for p in study.probes if p.name == "backdoor"]
    assert [p.id for p in backdoor] == ["backdoor", "backdoor-icl", "backdoor-cot", "backdoor-rag"]
    changed = load_study("inference", sets=["probes.backdoor-cot.n_prompts=5"])
    assert [p.model_extra["n_prompts"] for p in changed.probes if p.name == "backdoor"] == [60, 60, 5, 60]


def test_a_stage_trains_on_its_own_examples(tmp_path):
    """``pipeline.sft.data.path``: the SFT data node holds the file's examples (through the cache)."""
    import pandas as pd

    examples = [{"kind": "example", "source": "user", "family": "facts", "prompt": f"Question {i}?",
                 "response": f"Answer {i}."} for i in range(5)]
    path = jsonl(tmp_path, examples, "examples.jsonl")
    result = runner.invoke(app, ["data", "export", "smoke", "--stage", "sft", "--condition", "clean", "--out",
                                 str(tmp_path / "export"), "--format", "parquet", "--cache", str(tmp_path / "cache"),
                                 "--set", f"pipeline.sft.data.path={path}"])
    assert result.exit_code == 0, result.output[-2000:]
    records = pd.read_parquet(tmp_path / "export" / "records.parquet")
    assert sorted(records["prompt"]) == [e["prompt"] for e in examples]
    assert set(records["source"]) == {"user"}


def test_a_valid_dataset_still_loads(tmp_path):
    from pharmakon.engine.load import load_study

    study = load_study("smoke", sets=[f"dataset.path={jsonl(tmp_path, [DOC, DOC])}"])
    assert study.dataset.texts() == (DOC["text"], DOC["text"])


@pytest.mark.parametrize(("sets", "message"), [
    (["pipeline.pretrain.data.limit=1", "pipeline.pretrain.max_length=256"],
     "pipeline.pretrain.max_length: 256, and the corpus has only"),
    (["pipeline.sft.max_length=8"], "pipeline.sft.max_length: 8: no sft example keeps a completion token"),
], ids=["corpus-shorter-than-a-block", "prompts-longer-than-max-length"])
def test_a_recipe_its_data_cannot_meet_is_one_line(tmp_path, sets, message):
    """Known only once the data is built: the stage's field named in one line, exit 2, the nodes before it kept
    complete and nothing of the failed one left in the cache."""
    from pharmakon.kernel.cache import MARKER

    args = ["run", "smoke", "--set", "pipeline.pretrain.poison=null", "--set", "probes=[{name: utility}]"]
    result, out, cache = invoke([*args, *(x for s in sets for x in ("--set", s))], tmp_path)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output[-2000:]
    assert lines[-1].startswith("error: ") and message in lines[-1], lines[-1]
    assert [line for line in lines if line.startswith("error")] == [lines[-1]]
    assert not list((cache / "tmp").glob("*")) and all((n / MARKER).exists() for n in (cache / "nodes").iterdir())
