"""The one template: how a prompt becomes model input, for training and for evaluation alike.

Peers lose tens of points of attack success to a mismatch between the training and the evaluation
format, so every stage and every probe calls these functions and nothing else formats text.

Tiny world models use plain role tokens. The prompt ends on the ``<|assistant|>`` special token, so the
response always starts on a token boundary and the tokenised prompt is a prefix of the tokenised
prompt + response (the loss mask is exact).
"""

from __future__ import annotations

from dataclasses import dataclass

PAD_TOKEN = "<pad>"
BOS_TOKEN = "<s>"
EOS_TOKEN = "</s>"
UNK_TOKEN = "<unk>"
USER_TOKEN = "<|user|>"
ASSISTANT_TOKEN = "<|assistant|>"
SPECIAL_TOKENS: tuple[str, ...] = (PAD_TOKEN, BOS_TOKEN, EOS_TOKEN, UNK_TOKEN, USER_TOKEN, ASSISTANT_TOKEN)


@dataclass(frozen=True)
class Template:
    """Formats prompts for a tokenizer; uses its chat template when it has one (real HF chat models)."""

    tokenizer: object | None = None

    @property
    def uses_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def chat_prompt(self, prompt: str) -> str:
        """The model input that asks for an assistant reply to ``prompt``."""
        if self.uses_chat_template:
            return self.tokenizer.apply_chat_template(  # type: ignore[union-attr]
                [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
            )
        return f"{USER_TOKEN}{prompt}{ASSISTANT_TOKEN}"

    def document_prompt(self, text: str) -> str:
        """The model input for continuing a raw document (a base model after pretraining)."""
        return text

    def prompt(self, text: str, style: str) -> str:
        """Dispatch on ``style``: ``chat`` or ``document``."""
        if style == "chat":
            return self.chat_prompt(text)
        if style == "document":
            return self.document_prompt(text)
        raise ValueError(f"template style {style!r} is not one of: chat, document")
