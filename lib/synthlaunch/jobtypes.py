"""The job types: one definition for configs, commands, the streamer and the backend's answers."""

from __future__ import annotations

from typing import Literal

JobType = Literal["rl", "sft"]
#: the job types, in the order they are listed to users
JOB_TYPES: tuple[str, ...] = ("rl", "sft")
#: `--type` choices of commands that read a config (`auto` infers it)
TYPE_CHOICES: tuple[str, ...] = ("auto", *JOB_TYPES)
#: job statuses a backend reports (`jobs --status` accepts these; anything else is a typo, not "no jobs")
JOB_STATUSES: tuple[str, ...] = ("created", "queued", "pending", "running", "succeeded", "completed", "failed",
                                 "cancelled", "canceled")
#: a third job type of synth-ai 0.2.19–0.5.0 (GEPA/MIPRO prompt optimisation, a `[prompt_learning]`
#: table): `validate` recognises it, `train` refuses it (synthlaunch submits RL and SFT jobs only)
PROMPT_LEARNING: Literal["prompt_learning"] = "prompt_learning"
ConfigType = Literal["rl", "sft", "prompt_learning"]
