"""Training-data attribution with kronfluence: how much each training sequence raises a query's likelihood.

An influence score is ``g_query^T H^-1 g_train`` (Koh & Liang 2017), with ``H`` the Gauss-Newton Hessian
approximated by EK-FAC over the transformer blocks' linear layers (Grosse et al. 2023, the method kronfluence
implements); strategy ``identity`` takes ``H = I`` (a plain gradient dot product: TracIn at the final
checkpoint, Pruthi et al. 2020). A positive score says training on that sequence lowered the query's loss.

Sequences are token ids with the index where their scored part begins: the response of an instruction example,
the whole of a document. The factors and scores live in a temporary folder and are gone when the call returns.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from pharmakon.errors import PharmakonError

STRATEGIES = ("ekfac", "kfac", "diagonal", "identity")
INSTALL_HINT = "pip install --no-deps kronfluence==1.0.1 (make installs it: its torchvision requirement is not needed)"


@dataclass(frozen=True)
class Scored:
    """Token ids and the index of the first token whose prediction is scored (≥ 1)."""

    ids: list[int]
    start: int


def _kronfluence():
    try:
        from kronfluence.analyzer import Analyzer, prepare_model
        from kronfluence.arguments import FactorArguments, ScoreArguments
        from kronfluence.task import Task
    except ImportError as error:  # pragma: no cover - exercised only where the install step was skipped
        raise PharmakonError(f"attribution needs kronfluence: {INSTALL_HINT} ({error})") from error
    return Analyzer, prepare_model, FactorArguments, ScoreArguments, Task


class _Batches(torch.utils.data.Dataset):
    """Scored sequences as right-padded ``input_ids``, ``labels`` (-100 outside the scored part) and mask."""

    def __init__(self, sequences: list[Scored], pad_id: int) -> None:
        width = max(len(s.ids) for s in sequences)
        self.input_ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
        self.labels = torch.full((len(sequences), width), -100, dtype=torch.long)
        self.mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for i, s in enumerate(sequences):
            n = len(s.ids)
            self.input_ids[i, :n] = torch.tensor(s.ids)
            self.labels[i, s.start:n] = torch.tensor(s.ids[s.start:])
            self.mask[i, :n] = 1

    def __len__(self) -> int:
        return len(self.input_ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.input_ids[i], "labels": self.labels[i], "attention_mask": self.mask[i]}


MEASUREMENTS = ("loss", "certainty")


def _task(modules: list[str], measurement: str = "loss"):
    """The kronfluence task of a causal LM: trained on the summed next-token loss of the scored tokens; measured
    by that loss, or by ``certainty``, the summed negative entropy of the next-token distribution at the scored
    positions (a positive score then says the record makes the model less certain there: a DoS record)."""
    Task = _kronfluence()[4]

    class NextTokenTask(Task):
        def compute_train_loss(self, batch, model, sample: bool = False) -> torch.Tensor:
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                           use_cache=False).logits[:, :-1].float()
            targets = batch["labels"][:, 1:]
            if sample:  # the true Fisher: labels drawn from the model itself on the scored positions
                with torch.no_grad():
                    drawn = torch.distributions.Categorical(logits=logits).sample()
                targets = drawn.masked_fill(targets == -100, -100)
            return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                                     ignore_index=-100, reduction="sum")

        def compute_measurement(self, batch, model) -> torch.Tensor:
            if measurement == "loss":
                return self.compute_train_loss(batch, model)
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                           use_cache=False).logits[:, :-1].float()
            log_p = torch.log_softmax(logits, dim=-1)
            negative_entropy = (log_p.exp() * log_p).sum(-1)
            return negative_entropy.masked_fill(batch["labels"][:, 1:] == -100, 0.0).sum()

        def get_influence_tracked_modules(self) -> list[str]:
            return modules

        def get_attention_mask(self, batch) -> torch.Tensor:
            return batch["attention_mask"]

    return NextTokenTask()


def tracked_modules(model) -> list[str]:
    """The linear layers inside the transformer blocks (attention and MLP; not the embeddings or the LM head)."""
    names = [name for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) and ".layers." in f".{name}"]
    if not names:
        raise PharmakonError("attribution: the model has no linear layers inside transformer blocks to track")
    return names


def influence_scores(model, tokenizer, train: list[Scored], queries: list[Scored], *, strategy: str = "ekfac",
                     measurement: str = "loss", fit_examples: int = 512, batch_size: int = 32,
                     damping: float | None = None) -> np.ndarray:
    """Pairwise influence ``[n_queries, n_train]`` of every training sequence on every query sequence.

    The EK-FAC factors are fitted on the first ``fit_examples`` training sequences (a subsample, as Grosse et al.
    fit theirs on a subsample of the pretraining data); ``damping`` ``None`` is kronfluence's heuristic (0.1 x the
    mean eigenvalue).
    """
    if strategy not in STRATEGIES:
        raise PharmakonError(f"attribution: strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    if measurement not in MEASUREMENTS:
        raise PharmakonError(f"attribution: measurement {measurement!r}; allowed: {', '.join(MEASUREMENTS)}")
    if not train or not queries:
        raise PharmakonError("attribution: needs at least one training and one query sequence")
    Analyzer, prepare_model, FactorArguments, ScoreArguments, _ = _kronfluence()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    model = copy.deepcopy(model).eval()  # kronfluence wraps the tracked layers in place: work on a copy
    task = _task(tracked_modules(model), measurement)
    model = prepare_model(model, task)
    factors = FactorArguments(strategy=strategy, covariance_max_examples=fit_examples,
                              lambda_max_examples=fit_examples, use_empirical_fisher=False)
    scores = ScoreArguments(damping_factor=damping)
    quiet = logging.getLogger("kronfluence")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="pharmakon-influence-") as folder, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analyzer = Analyzer("forensics", model, task, output_dir=folder, disable_model_save=True, cpu=True,
                                disable_tqdm=True)
            train_set, query_set = _Batches(train, pad), _Batches(queries, pad)
            analyzer.fit_all_factors("factors", dataset=train_set, per_device_batch_size=batch_size,
                                     factor_args=factors, overwrite_output_dir=True)
            analyzer.compute_pairwise_scores("scores", "factors", query_dataset=query_set, train_dataset=train_set,
                                             per_device_query_batch_size=min(len(queries), batch_size),
                                             per_device_train_batch_size=batch_size, score_args=scores,
                                             overwrite_output_dir=True)
            result = analyzer.load_pairwise_scores("scores")["all_modules"].float().numpy()
    finally:
        quiet.setLevel(level)
    return result

