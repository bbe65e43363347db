"""Input-side defences at inference: ONION's outlier-word removal and a STRIP-like perturbation-entropy test.

ONION (Qi et al. 2021, "ONION: A Simple and Effective Defense Against Textual Backdoor Attacks",
https://arxiv.org/abs/2011.10369) removes from a test input every word whose removal makes a clean language
model find the text much more fluent (``pharmakon.defenses.onion`` scores the words; here the reference model
is that language model and the cut is calibrated on clean prompts). Its detector score is a prompt's largest
word suspicion.

STRIP (Gao et al. 2019, "STRIP: A Defence Against Trojan Attacks on Deep Neural Networks",
https://arxiv.org/abs/1902.06531; for text, Gao et al. 2021, STRIP-ViTA, https://arxiv.org/abs/1911.10312)
perturbs an input many times and reads the entropy of the model's prediction: a trigger that survives the
perturbation dominates it, so the entropy departs from clean inputs'. Here a perturbation replaces a share of
the prompt's words by words of clean prompts, and the prediction is the suspect model's first response token.
STRIP flags low entropy (a fixed target); a denial-of-service target raises it, so the score is two-sided:
``|H - mean_clean| / sd_clean``. Detection only: it changes no output.
"""

from __future__ import annotations

import random
import statistics

import numpy as np
import torch

from pharmakon.data.template import Template
from pharmakon.defenses.configs import OnionConfig
from pharmakon.defenses.model.base import Defended, DefenseInputs, ModelDefense
from pharmakon.defenses.model.configs import OnionFilterConfig, StripConfig
from pharmakon.defenses.onion import Onion


class OnionFilter(ModelDefense):
    """Strip outlier words from every prompt before the model sees it; detect by the largest word score."""

    name = "onion-filter"
    needs_reference = True
    config: OnionFilterConfig

    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        config = self.config
        threshold = config.threshold
        scorer = Onion(OnionConfig(threshold=0.0, max_words=config.max_words, batch_size=config.batch_size),
                       reference=inputs.reference)
        if threshold is None:
            if not inputs.calibration:
                raise ValueError("onion-filter: needs clean calibration prompts when no threshold is given")
            scores = [s for words in scorer.suspicion(inputs.calibration) for s in words.values()]
            threshold = float(np.quantile(scores, config.quantile)) if scores else 0.0
        onion = Onion(OnionConfig(threshold=threshold, max_words=config.max_words, batch_size=config.batch_size),
                      reference=inputs.reference)

        def detect(prompts: list[str]) -> list[float]:
            return [max(words.values(), default=0.0) for words in onion.suspicion(prompts)]

        return Defended(model, input_filter=onion.strip_outliers_batch, detector=detect,
                        stats={"threshold": threshold})


def perturb(prompt: str, pool: list[str], fraction: float, rng: random.Random) -> str:
    """``prompt`` with ``fraction`` of its words (at least one) replaced by words drawn from ``pool``."""
    words = prompt.split()
    if not words or not pool:
        return prompt
    for index in rng.sample(range(len(words)), max(1, round(fraction * len(words)))):
        words[index] = rng.choice(pool)
    return " ".join(words)


@torch.no_grad()
def first_token_entropy(model, tokenizer, prompts: list[str], batch_size: int, style: str = "chat") -> list[float]:
    """Entropy (nats) of the model's first response token for each prompt, through the one template."""
    template = Template(tokenizer)
    out: list[float] = []
    model.eval()
    for start in range(0, len(prompts), batch_size):
        texts = [template.prompt(p, style) for p in prompts[start:start + batch_size]]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=True)
        batch = {k: v.to(model.device) for k, v in batch.items()}
        positions = (batch["attention_mask"].cumsum(-1) - 1).clamp(min=0)
        logits = model(**batch, position_ids=positions, use_cache=False, logits_to_keep=1).logits[:, -1].float()
        logp = logits.log_softmax(-1)
        out += (-(logp.exp() * logp).sum(-1)).tolist()
    return out


class Strip(ModelDefense):
    """Perturbation-entropy detector; calibrated on clean prompts, leaves generation as it is."""

    name = "strip"
    config: StripConfig

    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        config = self.config
        if len(inputs.calibration) < 2:
            raise ValueError("strip: needs at least two clean calibration prompts")
        pool = [w for p in inputs.calibration for w in p.split()]

        def mean_entropy(prompts: list[str]) -> list[float]:
            variants = []
            for prompt in prompts:
                rng = random.Random(f"{inputs.seed}\x1f{prompt}")
                variants += [perturb(prompt, pool, config.fraction, rng) for _ in range(config.n_perturbations)]
            entropy = first_token_entropy(model, tokenizer, variants, config.batch_size, inputs.style)
            k = config.n_perturbations
            return [statistics.fmean(entropy[i * k:(i + 1) * k]) for i in range(len(prompts))]

        clean = mean_entropy(inputs.calibration)
        centre, spread = statistics.fmean(clean), statistics.stdev(clean) or 1e-6

        def detect(prompts: list[str]) -> list[float]:
            return [abs(h - centre) / spread for h in mean_entropy(prompts)]

        return Defended(model, detector=detect, stats={"clean_entropy": centre})
