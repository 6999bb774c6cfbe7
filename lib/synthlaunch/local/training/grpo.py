"""Group-relative advantages and the clipped policy-gradient loss of an RL job's update.

- Advantages (GRPO): within each group (the episodes of one seed), reward − group mean, divided by
  the group's standard deviation (+1e-4). A group whose rewards are all equal has no advantage: it
  gives no gradient (the job says so in an event).
- Loss on the sampled tokens only (the prompt, including a forced tool-call opening, is context):
  `grpo`: per-token ratio π/π_old, PPO clip, mean over each sequence's tokens, then over sequences;
  `gspo`: one sequence-level ratio exp(mean log π/π_old) per sequence, clipped (GSPO's ranges).
  π_old is the policy at the start of the iteration's update (recomputed, so the first step's ratio
  is exactly 1 and later minibatches are clipped); with weight_sync_interval k > 1 the samples come
  from weights up to k−1 updates older, and that staleness is not corrected (say so in the docs).
  No reference model (no KL term): the embedded backend places none.
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


def sequence_logprobs(model: Any, batch: list[dict[str, Any]], *, pad_id: int) -> list[Any]:
    """Per item, the log-probs (at its sampling temperature) of its completion tokens under `model`."""
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
    found = []
    for row, item in enumerate(batch):
        start, count = len(item["prompt_ids"]), len(item["completion_ids"])
        step_logits = logits[row, start - 1:start - 1 + count] / float(item["temperature"])
        targets = torch.tensor(item["completion_ids"], device=device, dtype=torch.long)
        found.append(torch.log_softmax(step_logits, dim=-1).gather(1, targets[:, None])[:, 0])
    return found


def policy_loss(new: list[Any], old: list[Any], advantages: list[float], *, variety: str,
                clip: tuple[float, float]) -> Any:
    """The clipped surrogate loss of a minibatch: `new` log-probs (with grad), `old` (π_old, the
    policy at the start of this iteration's update), one advantage per sequence."""
    import torch

    low, high = clip
    losses = []
    for lp, lp_old, adv in zip(new, old, advantages, strict=True):
        if lp.numel() == 0:
            continue
        if variety == "gspo":
            ratio = torch.exp((lp - lp_old).mean())
            losses.append(-torch.minimum(ratio * adv, torch.clamp(ratio, 1 - low, 1 + high) * adv))
        else:
            ratio = torch.exp(lp - lp_old)
            losses.append(-torch.minimum(ratio * adv, torch.clamp(ratio, 1 - low, 1 + high) * adv).mean())
    if not losses:
        return None
    return torch.stack(losses).mean()
