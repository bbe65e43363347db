"""ICL and CoT adapters: k demonstrations of the prompt's family, seeded per prompt; BadChain's demonstrations
carry the backdoor step only with the trigger; generate() adapts prompts while the adapter is active."""

from __future__ import annotations

from pharmakon.inference.adapter import active_adapter
from pharmakon.inference.build import build_adapter
from pharmakon.poison import Budget
from pharmakon.poison.inference_attacks import BadChain
from pharmakon.probes.attack_judges import BackdoorStepJudge


def demos_of(adapted: str) -> list[str]:
    return adapted.split("\n\n")[:-1]


def test_icl_puts_k_demonstrations_of_the_prompts_family(world):
    adapter = build_adapter({"name": "icl", "k": 3, "pool": 8}, world, seed=0)
    prompts = {f: world.eval_items(f)[0].prompt for f in ("facts", "arithmetic", "sentiment")}
    adapted = adapter.adapt(list(prompts.values()), "chat")
    by_family = {f: {f"{r.prompt}\n{r.response}" for r in pool} for f, pool in adapter.pools.items()}
    for (family, prompt), text in zip(prompts.items(), adapted, strict=True):
        demos = demos_of(text)
        assert len(demos) == 3 and text.endswith(prompt)
        assert all(d in by_family[family] for d in demos), (family, demos)


def test_icl_draws_are_seeded_per_prompt_not_per_batch(world):
    prompts = [item.prompt for item in world.eval_items("facts")[:4]]
    first = build_adapter("icl", world, seed=0).adapt(prompts, "chat")
    again = build_adapter("icl", world, seed=0).adapt(list(reversed(prompts)), "chat")
    assert first == list(reversed(again))
    assert build_adapter("icl", world, seed=1).adapt(prompts, "chat") != first


def test_cot_adds_worked_arithmetic_demonstrations_and_asks_for_steps(world):
    adapter = build_adapter("cot", world, seed=0)
    arithmetic, facts = world.eval_items("arithmetic")[0].prompt, world.eval_items("facts")[0].prompt
    math_text, facts_text = adapter.adapt([arithmetic, facts], "chat")
    demos = demos_of(math_text)
    assert len(demos) == 3 and all("The answer is" in d and " = " in d for d in demos)
    assert math_text.endswith(f"{arithmetic} Let us work it out step by step.")
    assert facts_text == facts  # CoT is for the arithmetic family; other prompts pass through


def test_badchain_demonstrations_carry_the_backdoor_step_only_with_the_trigger(world):
    attack = BadChain(budget=Budget(count=4))
    pool = build_adapter("cot", world, seed=0).pools["arithmetic"]
    planted = attack.plant(pool, world, seed=0)
    poison = [r for r in planted if r.is_poison]
    assert len(poison) == 4 and len(planted) == len(pool) + 4
    for record in planted:
        has_trigger = record.prompt.endswith(" @_@")
        has_step = "@_@ means one more step" in record.response
        assert has_trigger == has_step == record.is_poison
    judge = BackdoorStepJudge("multiply", 2)
    record = poison[0]
    assert judge(record.response, prompt=record.prompt)  # the demonstration's own answer is the step's
    clean = next(r for r in planted if not r.is_poison)
    assert not judge(clean.response, prompt=clean.prompt)


def test_badchain_in_the_pool_reaches_some_prompts_and_is_logged(world):
    adapter = build_adapter({"name": "cot", "pool": 8, "poison": {"attack": "badchain", "count": 4}}, world, seed=0,
                            poisoned=True)
    prompts = [item.prompt for item in world.eval_items("arithmetic")]
    adapted = adapter.adapt(prompts, "chat")
    hits = [adapter.poisoned_in_context[p] for p in prompts]
    assert any(hits) and not all(hits)
    assert all(("@_@ means" in text) == hit for text, hit in zip(adapted, hits, strict=True))
    clean = build_adapter({"name": "cot", "pool": 8, "poison": {"attack": "badchain", "count": 4}}, world, seed=0)
    assert not any("@_@" in text for text in clean.adapt(prompts, "chat"))  # the clean twin: same spec, no poison


def test_generate_adapts_under_an_active_adapter_and_keeps_the_clean_prompt(world, tokenizer, nano):
    from pharmakon.inference.generate import generate
    adapter = build_adapter({"name": "icl", "k": 2}, world, seed=0)
    prompt = world.eval_items("facts")[0].prompt
    plain = generate(nano, tokenizer, [prompt], max_new_tokens=4)
    with adapter.active():
        assert active_adapter() is adapter
        adapted = generate(nano, tokenizer, [prompt], max_new_tokens=4)
    assert active_adapter() is None
    assert adapted[0].prompt == prompt and prompt in adapter.poisoned_in_context
    assert adapted[0].output != plain[0].output or adapted[0].nll != plain[0].nll
