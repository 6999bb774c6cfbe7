"""A `TrainerCallback` turning the trainer's own logs into reports (metrics per optimizer step,
epoch events, checkpoints) plus the fault drills of the spec. Imported in the training process only."""

from __future__ import annotations

import os
import time
from typing import Any

from transformers import TrainerCallback

from .report import Reporter


class ReportCallback(TrainerCallback):
    """`train.loss`, `learning_rate`, `tokens_per_s` at step `global_step - 1` (the first optimizer
    step is step 0); `val.loss` after each evaluation; one event per epoch and per checkpoint."""

    def __init__(self, reporter: Reporter, *, fail_at_step: int | None = None,
                 crash_at_step: int | None = None) -> None:
        self.reporter = reporter
        self.fail_at_step = fail_at_step
        self.crash_at_step = crash_at_step
        self._last_time = time.monotonic()
        self._last_tokens: float | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._last_time = time.monotonic()
        if state.global_step == 0:
            self._last_tokens = 0.0  # TRL counts tokens from 0: step 0 gets a rate too
        self.reporter.send("started", total_steps=state.max_steps, resumed_step=state.global_step,
                           epochs=args.num_train_epochs, world_size=args.world_size)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        logs = logs or {}
        step = max(0, state.global_step - 1)
        if "loss" in logs:
            self.reporter.metric("train.loss", step, float(logs["loss"]))
            if "learning_rate" in logs:
                self.reporter.metric("learning_rate", step, float(logs["learning_rate"]))
            tokens = logs.get("num_tokens")
            now = time.monotonic()
            if isinstance(tokens, (int, float)) and self._last_tokens is not None and now > self._last_time:
                rate = (tokens - self._last_tokens) / (now - self._last_time)
                self.reporter.metric("tokens_per_s", step, round(rate, 3))
            if isinstance(tokens, (int, float)):
                self._last_tokens, self._last_time = float(tokens), now
            self.reporter.send("progress", step=state.global_step, total_steps=state.max_steps,
                               loss=float(logs["loss"]))
        if "eval_loss" in logs:
            self.reporter.metric("val.loss", step, float(logs["eval_loss"]))
            self.reporter.event("sft.eval", f"step {step}: val.loss={logs['eval_loss']:.4f}",
                                step=step, val_loss=float(logs["eval_loss"]))

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        step = state.global_step - 1
        if self.crash_at_step is not None and step >= self.crash_at_step:
            os._exit(70)  # a hard crash: no report, no cleanup (fault drill)
        if self.fail_at_step is not None and step >= self.fail_at_step:
            raise RuntimeError(f"failure requested at step {step} (metadata.emulation.fail_at_step)")

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        epoch = int(round(state.epoch or 0))
        self.reporter.event("sft.train.epoch", f"epoch {epoch} of {int(args.num_train_epochs)} done "
                                               f"(step {state.global_step} of {state.max_steps})",
                            epoch=epoch, step=state.global_step, total_steps=state.max_steps)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        path = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        self.reporter.send("checkpoint", step=state.global_step, path=path)
