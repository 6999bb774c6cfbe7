"""The training process of one RL job: `python -m synthlaunch.local.training.rl_child SPEC_JSON`.

Design (docs/rollout-contract.md, "Where the policy lives"): this one process holds the policy. It
serves it on a free loopback port (`policy_server.py`, reported to the backend, which proxies
`/rl/jobs/{job_id}/inference/{cid}/…` to it), drives the task app's `/rollout` (`rollouts.py`),
and updates the same weights between rollout phases (`grpo.py`, torch.optim.AdamW): generation and
the update never overlap. With `weight_sync_interval` k > 1 a copy serves, refreshed every k
iterations. Reports go through `report.py` like the SFT process. Exit 0 after a `done` report.

Per iteration: `episodes_per_batch / group_size` seeds (consecutive from `seed_start`), `group_size`
episodes each, `max_concurrent_rollouts` at a time → `train.reward` (mean return of the episodes
that ran) → advantages per group → one optimizer step per `batch_size` groups → `train.loss`.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from .report import Reporter
from .rl_spec import total_iterations
from .spec import TrainSpec

KEYS_VARIABLE = "SYNTHLAUNCH_ENVIRONMENT_API_KEYS"


def _load(spec: TrainSpec) -> tuple[Any, Any, Any]:
    import torch

    from .child import _load_model
    from .device import pick_device

    device = pick_device()
    if device.kind == "cpu" and torch.get_num_threads() > 2:
        torch.set_num_threads(2)
    model, tokenizer = _load_model(spec, device)
    if spec.lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=spec.lora_r, lora_alpha=spec.lora_alpha,
                                                 lora_dropout=spec.lora_dropout, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
    if device.kind != "cpu":
        model.to(device.kind)
    return model, tokenizer, device


def _summary(episodes: list[Any]) -> tuple[list[Any], list[Any], str]:
    ok = [e for e in episodes if e.ok]
    failed = [e for e in episodes if not e.ok]
    reasons: dict[str, int] = {}
    for e in failed:
        reasons[str(e.error)] = reasons.get(str(e.error), 0) + 1
    why = "; ".join(f"{n}× {r}" for r, n in list(reasons.items())[:3])
    return ok, failed, why


def wait_until_proxied(inference_base: str, timeout: float = 60.0) -> None:
    """Wait until the backend proxies this process's policy server (it reads the `inference` report
    on its next tick); a task app calling earlier would get a 503 and score "no tool call"."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(inference_base, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the backend did not start proxying the policy within {timeout:g} s "
                               f"({inference_base})")
        time.sleep(0.05)


def train(spec: TrainSpec, reporter: Reporter) -> None:
    import torch

    from .chat import ChatModel
    from .export import save_final
    from .grpo import CLIP, advantages, policy_loss, sequence_logprobs
    from .policy_server import PolicyServer
    from .rollouts import RolloutSettings, run_episodes

    rl = spec.extra["rl"]
    total = total_iterations(spec)
    torch.manual_seed(spec.seed)
    model, tokenizer, device = _load(spec)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=spec.learning_rate)
    sync_every = int(rl["weight_sync_interval"])
    lock = threading.Lock()
    served = model if sync_every == 1 else copy.deepcopy(model)
    served.eval()
    chat = ChatModel(served, tokenizer, model_id=spec.model_id, lock=lock)
    server = PolicyServer(chat).start()
    reporter.send("inference", url=server.url)
    count = sum(p.numel() for p in model.parameters())
    reporter.event("rl.model.loaded",
                   f"training {spec.model_id} ({count:,} parameters, {'LoRA' if spec.lora else 'full'}, "
                   f"{rl['variety'].upper()}) on {device.describe()}; policy served for the task app's calls "
                   f"(weights synced every {sync_every} iteration(s))",
                   model=spec.model_id, parameters=count, device=device.kind, lora=spec.lora,
                   variety=rl["variety"], weight_sync_interval=sync_every)
    settings = RolloutSettings(
        task_url=rl["task_url"], inference_base=str(spec.extra["inference_base"]),
        keys=[k for k in os.environ.get(KEYS_VARIABLE, "").split("\n") if k], model=spec.model_id,
        policy_config=dict(rl["policy_config"]), env_name=rl.get("env_name"), policy_name=rl.get("policy_name"),
        env_config=dict(rl["env_config"]), max_turns=int(rl["max_turns"]), max_concurrent=int(rl["max_concurrent"]),
        timeout_s=float(rl["timeout_s"]))
    wait_until_proxied(settings.inference_base)
    groups = int(rl["episodes_per_batch"]) // int(rl["group_size"])
    clip = tuple(rl["clip"]) if rl.get("clip") else CLIP[rl["variety"]]
    reporter.send("started", total_steps=total, resumed_step=0, epochs=rl["num_epochs"], world_size=1,
                  message=f"training {total} RL iteration(s) over {rl['num_epochs']} epoch(s)")
    reporter.event("rl.train.plan",
                   f"{total} iteration(s) ({rl['num_epochs']} epoch(s) × {rl['iterations_per_epoch']}): "
                   f"{groups} seed(s) × {rl['group_size']} episodes per iteration, at most {rl['max_concurrent']} "
                   f"at once, against {rl['task_url']}", total_iterations=total, groups=groups,
                   group_size=rl["group_size"], inference_base=settings.inference_base)

    def evaluate(iteration: int) -> None:
        seeds = list(rl["eval_seeds"])
        if not seeds:
            return
        episodes = run_episodes(settings, [(s, i) for i, s in enumerate(seeds)], "eval",
                                open_cid=server.open, close_cid=server.close,
                                policy_config=rl["eval_policy_config"])
        ok, failed, why = _summary(episodes)
        if ok:
            mean = sum(e.reward for e in ok) / len(ok)
            reporter.metric("eval.reward", iteration, round(mean, 6))
            reporter.event("rl.eval", f"evaluation at iteration {iteration}: eval.reward={mean:.4f} over "
                                      f"{len(ok)} seed(s)" + (f"; {len(failed)} failed: {why}" if failed else ""),
                           iteration=iteration, reward=mean, ok=len(ok), failed=len(failed))
        else:
            reporter.event("rl.eval.failed", f"evaluation at iteration {iteration}: every episode failed: {why}",
                           iteration=iteration)

    if rl["eval_every"]:
        evaluate(0)
    last_loss = None
    rewards: list[float] = []
    for it in range(total):
        seed0 = int(rl["seed_start"]) + it * groups
        plan = [(seed0 + g, g) for g in range(groups) for _ in range(int(rl["group_size"]))]
        started = time.monotonic()
        episodes = run_episodes(settings, plan, "rl", open_cid=server.open, close_cid=server.close)
        rollout_s = time.monotonic() - started
        ok, failed, why = _summary(episodes)
        if not ok:
            raise RuntimeError(f"iteration {it}: all {len(episodes)} episode(s) failed: {why}")
        reward = sum(e.reward for e in ok) / len(ok)
        rewards.append(reward)
        reporter.metric("train.reward", it, round(reward, 6))
        calls = sum(len(e.completions) for e in episodes)
        reporter.event("rl.rollouts", f"iteration {it}: {len(ok)} episode(s) ok, {len(failed)} failed"
                                      + (f" ({why})" if failed else "")
                                      + f"; mean reward {reward:.4f}; {calls} completion(s) served",
                       level="warning" if failed else "info", iteration=it, ok=len(ok), failed=len(failed),
                       reward=reward, completions=calls, seconds=round(rollout_s, 3),
                       errors=[e.error for e in failed][:5])
        # advantages per group (failed episodes left out)
        batch_groups: list[list[dict[str, Any]]] = []
        flat: list[int] = []
        for g in range(groups):
            members = [e for e in ok if e.group == g]
            advs = advantages([float(e.reward) for e in members])
            if not any(advs):
                flat.append(seed0 + g)
                continue
            items = [{"prompt_ids": c.prompt_ids, "completion_ids": c.completion_ids, "logprobs": c.logprobs,
                      "temperature": c.temperature, "advantage": a}
                     for e, a in zip(members, advs, strict=True) for c in e.completions]
            if items:
                batch_groups.append(items)
        if flat:
            reporter.event("rl.group.no_gradient",
                           f"iteration {it}: the episodes of seed(s) {', '.join(map(str, flat))} all scored the same "
                           "reward: a group of identical outcomes gives no gradient", iteration=it, seeds=flat)
        losses: list[float] = []
        model.train()
        per_step = int(rl["batch_size"])
        pad_id = int(tokenizer.pad_token_id or 0)
        with lock:
            minibatches = [[item for grp in batch_groups[start:start + per_step] for item in grp]
                           for start in range(0, len(batch_groups), per_step)]
            with torch.no_grad():  # π_old: the policy before this iteration's first step
                olds = [sequence_logprobs(model, mb, pad_id=pad_id) for mb in minibatches]
            for minibatch, old in zip(minibatches, olds, strict=True):
                new = sequence_logprobs(model, minibatch, pad_id=pad_id)
                loss = policy_loss(new, old, [item["advantage"] for item in minibatch], variety=rl["variety"],
                                   clip=clip)
                if loss is None:
                    continue
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
                losses.append(float(loss.detach()))
        model.eval()
        last_loss = sum(losses) / len(losses) if losses else 0.0
        reporter.metric("train.loss", it, round(last_loss, 6))
        if not losses:
            reporter.event("rl.update.skipped", f"iteration {it}: no group had different rewards, so no update",
                           iteration=it)
        if served is not model and (it + 1) % sync_every == 0:
            with lock:
                served.load_state_dict(model.state_dict())
            reporter.event("rl.weights.synced", f"iteration {it}: the served policy now has the updated weights",
                           iteration=it)
        reporter.send("progress", step=it + 1, total_steps=total, loss=last_loss,
                      message=f"iteration {it + 1}/{total}: train.reward={reward:.4f} train.loss={last_loss:.4f}",
                      data={"iteration": it, "reward": reward, "optimizer_steps": len(losses)})
        if spec.crash_at_step is not None and it >= spec.crash_at_step:
            os._exit(70)
        if spec.fail_at_step is not None and it >= spec.fail_at_step:
            raise RuntimeError(f"failure requested at iteration {it} (metadata.emulation.fail_at_step)")
        if rl["eval_every"] and (it + 1) % int(rl["eval_every"]) == 0:
            evaluate(it + 1)
    server.stop()

    class _Holder:  # save_final takes something with .model
        pass

    holder = _Holder()
    holder.model = model  # type: ignore[attr-defined]
    folders = save_final(holder, tokenizer, Path(spec.output_dir) / "final", lora=spec.lora)
    reporter.send("done", steps=total, final_loss=last_loss, folders=folders,
                  first_reward=rewards[0] if rewards else None, last_reward=rewards[-1] if rewards else None)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m synthlaunch.local.training.rl_child SPEC_JSON", file=sys.stderr)
        return 2
    spec = TrainSpec.load(Path(args[0]))
    reporter = Reporter(spec.report_file)
    try:
        train(spec, reporter)
    except Exception as exc:
        traceback.print_exc()
        reporter.send("error", message=f"{type(exc).__name__}: {exc}"[:1000])
        return 1
    finally:
        reporter.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
