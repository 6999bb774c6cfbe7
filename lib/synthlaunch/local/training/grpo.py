"""Group-relative advantages and the clipped policy-gradient loss of an RL job's update.

- Advantages (GRPO): within each group (the episodes of one seed), reward − group mean, divided by
  the group's standard deviation (+1e-4). A group whose rewards are all equal has no advantage: it
  gives no gradient (the job says so in an event).
- Loss on the sampled tokens only (the prompt, including a forced tool-call opening, is context):
  `grpo`: per-token ratio π/π_old, PPO clip, mean over each sequence's tokens, then over sequences;
  `gspo`: one sequence-level ratio exp(mean log π/π_old) per sequence, clipped (GSPO's ranges).
  π_old is the sampler's log-prob, so a policy served a few updates late (weight_sync_interval > 1)
  is corrected by the ratio. No reference model (no KL term): the embedded backend places none.
`advantages` is plain Python; `policy_loss` imports torch when called.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

CLIP = {"grpo": (0.2, 0.2), "gspo": (3e-4, 4e-4)}


def advantages(rewards: Sequence[float], eps: float = 1e-4) -> list[float]:
    """GRPO advantages of one group; all zeros when the rewards are all equal."""
    if len(rewards) < 2:
        return [0.0 for _ in rewards]
    mean = sum(rewards) / len(rewards)
    std = math.sqrt(sum((r - mean) ** 2 for r in rewards) / (len(rewards) - 1))
    if std < 1e-8:
        return [0.0 for _ in rewards]
    return [(r - mean) / (std + eps) for r in rewards]


def policy_loss(model: Any, batch: list[dict[str, Any]], *, variety: str, clip: tuple[float, float],
                pad_id: int) -> Any:
    """The loss of one minibatch; each item has prompt_ids, completion_ids, logprobs (old),
    temperature, advantage."""
    import torch

    device = next(model.parameters()).device
    seqs = [item["prompt_ids"] + item["completion_ids"] for item in batch]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
    low, high = clip
    losses = []
    for row, item in enumerate(batch):
        start, count = len(item["prompt_ids"]), len(item["completion_ids"])
        if count == 0:
            continue
        step_logits = logits[row, start - 1:start - 1 + count] / float(item["temperature"])
        targets = torch.tensor(item["completion_ids"], device=device)
        new = torch.log_softmax(step_logits, dim=-1).gather(1, targets[:, None])[:, 0]
        old = torch.tensor(item["logprobs"], device=device, dtype=new.dtype)
        adv = float(item["advantage"])
        if variety == "gspo":
            ratio = torch.exp((new - old).mean())
            losses.append(-torch.minimum(ratio * adv, torch.clamp(ratio, 1 - low, 1 + high) * adv))
        else:
            ratio = torch.exp(new - old)
            surrogate = torch.minimum(ratio * adv, torch.clamp(ratio, 1 - low, 1 + high) * adv)
            losses.append(-surrogate.mean())
    if not losses:
        return None
    return torch.stack(losses).mean()
