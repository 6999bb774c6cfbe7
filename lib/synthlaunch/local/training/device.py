"""Where training runs: CUDA (bf16 when supported), Apple MPS, else CPU."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    kind: str       # "cuda" | "mps" | "cpu"
    bf16: bool

    def describe(self) -> str:
        return self.kind + (" (bf16)" if self.bf16 else " (fp32)")


def pick_device() -> Device:
    import torch

    if torch.cuda.is_available():
        return Device("cuda", bool(torch.cuda.is_bf16_supported()))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return Device("mps", False)
    return Device("cpu", False)


def cuda_device_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0
