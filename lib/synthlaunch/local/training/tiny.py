"""Built-in tiny models for machines without weights, built at first use into a cache folder.

`synthlaunch/tiny-qwen3`: the Qwen3 architecture (transformers' Qwen3Config) at ~0.2M parameters,
random init from a fixed seed, with the byte-level tokenizer of `tokenizer.py`. Once built, it is
an ordinary Hugging Face folder loaded with `from_pretrained` like any other model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from .tokenizer import TEMPLATE_VERSION

SEED = 1234
BUILD_MARKER = "synthlaunch-build.txt"


def _qwen3_config(vocab_size: int, tokenizer: Any) -> Any:
    from transformers import Qwen3Config

    return Qwen3Config(  # type: ignore[call-arg]  # rope_theta is read through **kwargs in transformers 5
        vocab_size=vocab_size, hidden_size=64, intermediate_size=192, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=2048,
        tie_word_embeddings=True, rope_theta=10000.0,
        bos_token_id=None, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)


def build_tiny_qwen3(folder: Path) -> None:
    """Write the tiny Qwen3 model and its tokenizer to `folder`."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    from .tokenizer import build_byte_tokenizer

    tokenizer = build_byte_tokenizer()
    config = _qwen3_config(len(tokenizer), tokenizer)
    torch.manual_seed(SEED)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / BUILD_MARKER).write_text(TEMPLATE_VERSION, encoding="utf-8")


BUILTIN: dict[str, Callable[[Path], None]] = {
    "synthlaunch/tiny-qwen3": build_tiny_qwen3,
}


def builtin_ids() -> list[str]:
    return list(BUILTIN)


def ensure_built(model_id: str, folder: Path) -> Path:
    """`folder` holding the built-in model `model_id`, built now if missing (atomic: a half-built
    folder is never seen, and two jobs building at once both end with the same complete one). A
    folder built by an older version (another chat template) is rebuilt (same seed, same weights)."""
    marker = folder / BUILD_MARKER
    if (folder / "config.json").exists() and marker.is_file() \
            and marker.read_text(encoding="utf-8").strip() == TEMPLATE_VERSION:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        BUILTIN[model_id](tmp)
        if folder.exists():  # an older build: move it aside, then put the new one in its place
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=folder.parent))
            try:
                os.replace(folder, old / "build")
            except OSError:
                pass
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / "config.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
