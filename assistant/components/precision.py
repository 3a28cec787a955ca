"""The precision e5 in torch computes in: bfloat16 where the CPU multiplies it natively.

Intel's AMX (``amx_bf16``) and AVX512-BF16 multiply bfloat16 matrices in hardware, and
torch's oneDNN uses them under ``torch.autocast("cpu", dtype=torch.bfloat16)`` (weights
stay fp32; each matrix product reads its inputs in bfloat16 and sums in fp32). Measured on
these 2-core machines (Xeon with AMX, 2026-12-02, ``python bench/bench_precision.py``):

- e5 over many passages (ingest): about 1.8× faster, vectors at cosine ≥ 0.99998 to fp32;
- the learned reader, 8 pairs × 96 tokens: about 1.9× fewer core-ms, logits correlated
  0.99998 with fp32 and the same AUC.

Without native bfloat16 the same products are emulated and slower than fp32, so ``auto``
keeps fp32 there. Importing this module loads nothing.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any, Literal

from assistant.settings import TorchPrecision

__all__ = ["TorchPrecision", "autocast", "native_bf16", "resolve"]
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
"""CPU flags (``/proc/cpuinfo``) of hardware that multiplies bfloat16 matrices."""


@functools.cache
def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU multiplies bfloat16 natively (AMX or AVX512-BF16)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: ask torch instead
        return _torch_says_native()
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(NATIVE_BF16_FLAGS & set(line.split(":", 1)[-1].split()))
    return False


def _torch_says_native() -> bool:
    try:
        import torch

        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except (ImportError, AttributeError):
        return False


def resolve(precision: TorchPrecision) -> Literal["bf16", "fp32"]:
    """``auto`` → bf16 on a CPU with native bfloat16, else fp32; the others as given."""
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


def autocast(precision: TorchPrecision) -> contextlib.AbstractContextManager[Any]:
    """The context torch inference runs in for ``precision``."""
    if resolve(precision) == "fp32":
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)
