"""Training and evaluation format prompts with the one template, token for token."""

from pharmakon.data import Record, Template
from pharmakon.data.template import ASSISTANT_TOKEN, USER_TOKEN
from pharmakon.stages.dpo import preference_dataset
from pharmakon.stages.sft import instruction_dataset

RECORD = Record(kind="example", source="t", prompt="What is 2 + 3?", response="The answer is 5.")
PAIR = Record(kind="pair", source="t", prompt="What is 2 + 3?", chosen="The answer is 5.", rejected="No.")


def test_sft_dpo_and_evaluation_share_the_prompt_text(tokenizer):
    template = Template(tokenizer)
    evaluated = template.prompt(RECORD.prompt, "chat")
    assert evaluated == f"{USER_TOKEN}What is 2 + 3?{ASSISTANT_TOKEN}"
    assert instruction_dataset([RECORD], template)["prompt"] == [evaluated]
    assert preference_dataset([PAIR], template)["prompt"] == [evaluated]


def test_prompt_tokens_are_a_prefix_of_prompt_plus_response(tokenizer):
    prompt = Template(tokenizer).chat_prompt(RECORD.prompt)
    prompt_ids = tokenizer(prompt)["input_ids"]
    full_ids = tokenizer(prompt + RECORD.response + tokenizer.eos_token)["input_ids"]
    assert full_ids[: len(prompt_ids)] == prompt_ids
    assert prompt_ids[0] == tokenizer.bos_token_id
    assert full_ids[-1] == tokenizer.eos_token_id


def test_document_style_is_the_raw_text(tokenizer):
    assert Template(tokenizer).prompt("Velmora is", "document") == "Velmora is"
