"""Real training for the embedded backend (the `torch` trainer).

Each SFT job trains in its own process (`child.py`, or under `torchrun` for DDP) with TRL's
SFTTrainer; the backend side (`runner.py`) starts, watches and stops those processes and copies
their reports into the store. Modules that import torch/transformers are only imported inside
the training process: the backend side needs none of them.
"""

from __future__ import annotations

import importlib.util

TRAIN_PACKAGES = ("torch", "transformers", "peft", "trl", "datasets")


def missing_packages() -> list[str]:
    """The training packages that are not installed (without importing any of them)."""
    return [name for name in TRAIN_PACKAGES if importlib.util.find_spec(name) is None]


def available() -> bool:
    """True when the `train` extra is installed (`pip install 'synthlaunch[train]'`)."""
    return not missing_packages()
