"""A byte-level BPE tokenizer trained on the clean world corpus with the ``tokenizers`` library.

Trained once per world seed on clean data only and shared by the poisoned model and its clean twin.
Triggers are ordinary text: nothing about them enters the vocabulary. Digits are split one by one before
byte-level BPE (``Digits(individual_digits=True)``, as Llama does), so "27" is the tokens "2" and "7": a number's
tokens spell its digits, and worked sums become digit arithmetic a tiny model can learn.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from pharmakon.data.template import (
    ASSISTANT_TOKEN,
    BOS_TOKEN,
    EOS_TOKEN,
    PAD_TOKEN,
    SPECIAL_TOKENS,
    UNK_TOKEN,
    USER_TOKEN,
)

DEFAULT_VOCAB_SIZE = 2048


def train_tokenizer(texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts``; the result adds ``<s>`` in front of every encoded text."""
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    bos_id = core.token_to_id(BOS_TOKEN)
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS_TOKEN} $A", pair=f"{BOS_TOKEN} $A $B", special_tokens=[(BOS_TOKEN, bos_id)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        unk_token=UNK_TOKEN,
        additional_special_tokens=[USER_TOKEN, ASSISTANT_TOKEN],
        padding_side="left",
    )
    check_tokenizer(tokenizer)
    return tokenizer


def check_tokenizer(tokenizer) -> None:
    """Fail loudly on the traps: pad equal to eos, right padding for generation, a missing special token."""
    if tokenizer.pad_token_id is None or tokenizer.eos_token_id is None:
        raise ValueError("tokenizer needs both a pad and an eos token")
    if tokenizer.pad_token_id == tokenizer.eos_token_id:
        raise ValueError("tokenizer pad token equals eos: generation could not tell padding from the end")
    if tokenizer.padding_side != "left":
        raise ValueError("tokenizer must pad on the left for batched generation")


def token_span_intact(tokenizer, text: str, fragment: str, start: int | None = None) -> bool:
    """True when ``fragment`` occurs in ``text`` (at ``start``, or first) with exactly its own tokens.

    The fragment is tokenised in context; its characters must begin and end on token boundaries, and the
    token ids inside that span must equal the ids of the fragment tokenised on its own (with the same
    leading space, if it has one in ``text``).
    """
    start = text.find(fragment) if start is None else start
    if start < 0 or text[start : start + len(fragment)] != fragment:
        return False
    if start > 0 and text[start - 1] == " ":
        start -= 1
        fragment = " " + fragment
    end = start + len(fragment)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    inside = [tid for tid, (a, b) in zip(encoded["input_ids"], encoded["offset_mapping"], strict=True)
              if a >= start and b <= end]
    straddling = [1 for a, b in encoded["offset_mapping"] if a < start < b or a < end < b]
    alone = tokenizer(fragment, add_special_tokens=False)["input_ids"]
    return not straddling and inside == alone
