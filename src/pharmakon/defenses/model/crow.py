"""CROW (Min et al. 2025, "CROW: Eliminating Backdoors from Large Language Models via Internal Consistency
Regularization", https://arxiv.org/abs/2411.12768): a short clean fine-tuning that also asks consecutive layers'
hidden states to stay alike when the input embeddings are perturbed adversarially.

A backdoor shows as a sharp change of the hidden state from one layer to the next once the trigger is read; CROW
regularises that away. Each step: the consistency loss ``mean over layers of 1 - cos(h_{l+1}, h_l)`` is
computed on the clean batch, its gradient with respect to the input embeddings gives an FGSM perturbation of
size ``epsilon``, and the model is trained on the clean completion loss plus ``alpha`` times the consistency
loss of the perturbed batch. Batches, tokenisation and the completion loss are the lean SFT loop's
(``stages.lean_sft``); only the step differs.
"""

from __future__ import annotations

import math

import torch
from transformers import get_cosine_schedule_with_warmup

from pharmakon.defenses.model.base import Defended, DefenseInputs, ModelDefense, clean_budget
from pharmakon.defenses.model.configs import CrowConfig
from pharmakon.defenses.model.retune import completions, stage_config
from pharmakon.models.device import on_device
from pharmakon.stages.common import finish, seed_everything
from pharmakon.stages.lean_sft import completion_loss, packed_batch, tokenise_examples, total_steps


def consistency_loss(model, embeds: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """``mean_l (1 - cos(h_{l+1}, h_l))`` over the decoder layers' outputs and the batch's tokens."""
    out = model(inputs_embeds=embeds, position_ids=batch["position_ids"], output_hidden_states=True,
                use_cache=False, logits_to_keep=1)
    states = out.hidden_states[1:]  # [0] is the embeddings
    terms = [1 - torch.nn.functional.cosine_similarity(b.float(), a.float(), dim=-1).mean()
             for a, b in zip(states[:-1], states[1:], strict=True)]
    return torch.stack(terms).mean()


class Crow(ModelDefense):
    """Clean fine-tuning with internal-consistency regularisation under FGSM-perturbed embeddings."""

    name = "crow"
    needs_clean = True
    config: CrowConfig

    def defend(self, model, tokenizer, inputs: DefenseInputs) -> Defended:
        config = self.config
        records = clean_budget(inputs.clean, config.n_examples, inputs.seed)
        recipe = stage_config(config)
        seed_everything(inputs.seed, recipe.threads)
        prompts, responses = completions(tokenizer, records)
        examples = tokenise_examples(tokenizer, prompts, responses, config.max_length)
        if not examples:
            raise ValueError(f"crow: no clean example keeps a completion token within max_length "
                             f"{config.max_length}")
        model = on_device(model)
        for parameter in model.parameters():
            parameter.requires_grad_(True)
        device = next(model.parameters()).device
        total = total_steps(recipe, len(examples))
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.0)
        schedule = get_cosine_schedule_with_warmup(optimizer, math.ceil(recipe.warmup_ratio * total), total)
        generator = torch.Generator().manual_seed(inputs.seed)
        embedding = model.get_input_embeddings()
        model.train()
        step, last = 0, {}
        while step < total:
            for indices in torch.randperm(len(examples), generator=generator).split(config.batch_size):
                if step >= total:
                    break
                batch = packed_batch([examples[i] for i in indices.tolist()], device)
                clean_embeds = embedding(batch["input_ids"]).detach().requires_grad_(True)
                gradient, = torch.autograd.grad(consistency_loss(model, clean_embeds, batch), clean_embeds)
                perturbed = embedding(batch["input_ids"]) + config.epsilon * gradient.sign()
                task = completion_loss(model, batch)
                consistency = consistency_loss(model, perturbed, batch)
                loss = task + config.alpha * consistency
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                last = {"task_loss": float(task.detach()), "consistency_loss": float(consistency.detach())}
        return Defended(finish(model), steps=step, examples=len(records), stats=last)
