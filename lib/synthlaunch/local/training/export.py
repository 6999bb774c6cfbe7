"""The job's result folders: `final/model` (full weights, LoRA merged) and `final/adapter` (LoRA only),
each with the tokenizer, loadable by `from_pretrained`."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_final(trainer: Any, tokenizer: Any, final_dir: Path, *, lora: bool) -> dict[str, str]:
    """Write the final model(s); {"model": folder, "adapter": folder (LoRA)}."""
    folders: dict[str, str] = {}
    model = trainer.model
    if lora:
        adapter = final_dir / "adapter"
        model.save_pretrained(adapter)
        tokenizer.save_pretrained(adapter)
        folders["adapter"] = str(adapter)
        model = model.merge_and_unload()
    target = final_dir / "model"
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    folders["model"] = str(target)
    return folders
