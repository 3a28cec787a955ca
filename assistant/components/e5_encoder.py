"""e5's encoder on torch's own ``nn.TransformerEncoder``, with no ``transformers`` import.

multilingual-e5-small is a BERT: learned absolute positions and token types added to the
word vectors, a layer norm, then post-norm layers of self-attention and a GELU (erf)
feed-forward. ``torch.nn.TransformerEncoderLayer`` with ``norm_first=False`` and
``activation="gelu"`` is that layer, so the encoder is torch's, and only the embeddings are
spelled out here. Serving used ``transformers.BertModel`` before: importing transformers
took 4.3–4.6 s of every replica's start (it pulls in ``torch._dynamo``, ``torch.distributed``
and sympy), the rest of loading e5 and the reader about 1.5 s (2026-12-03).

Weights keep ``BertModel``'s names outside this module (the artifacts in ``models/`` and
:func:`~assistant.components.e5_torch.bert_state`): :func:`torch_names` and
:func:`bert_names` convert at the boundary (BERT's query, key and value matrices are the
rows of torch's one ``in_proj_weight``). Importing this module loads nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DROPOUT = 0.1
"""BERT's dropout (attention and hidden states); active only while training."""

_BERT_LAYER = re.compile(r"^(.*?)encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$")
_TORCH_LAYER = re.compile(r"^(.*?)encoder\.layers\.(\d+)\.(.+?)\.?(weight|bias)$")
_QKV = ("attention.self.query", "attention.self.key", "attention.self.value")
_RENAMED = {
    "attention.output.dense": "self_attn.out_proj",
    "attention.output.LayerNorm": "norm1",
    "intermediate.dense": "linear1",
    "output.dense": "linear2",
    "output.LayerNorm": "norm2",
}
_BACK = {v: k for k, v in _RENAMED.items()}


@dataclass(frozen=True)
class EncoderShape:
    """The sizes of an e5 encoder (an E5S1 file's header)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    positions: int
    token_types: int
    eps: float


def torch_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict in ``BertModel``'s names → this encoder's (any prefix kept): a layer's
    query, key and value joined into ``self_attn.in_proj_*``; names outside the layers as
    they are."""
    import torch

    out: dict[str, torch.Tensor] = {}
    joined: dict[tuple[str, str], dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        match = _BERT_LAYER.match(key)
        if match is None:
            out[key] = value
            continue
        prefix, layer, part, kind = match.groups()
        base = f"{prefix}encoder.layers.{layer}."
        if part in _QKV:
            joined.setdefault((base, kind), {})[part] = value
        elif part in _RENAMED:
            out[f"{base}{_RENAMED[part]}.{kind}"] = value
        else:
            raise KeyError(f"no place in the encoder for '{key}'")
    for (base, kind), parts in joined.items():
        if set(parts) != set(_QKV):
            raise KeyError(f"{base}: query, key and value are not all there")
        out[f"{base}self_attn.in_proj_{kind}"] = torch.cat([parts[p] for p in _QKV])
    return out


def bert_names(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """This encoder's state dict → ``BertModel``'s names (the inverse of :func:`torch_names`)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        match = _TORCH_LAYER.match(key)
        if match is None:
            out[key] = value
            continue
        prefix, layer, part, kind = match.groups()
        base = f"{prefix}encoder.layer.{layer}."
        if part == "self_attn.in_proj_":
            for name, rows in zip(_QKV, value.chunk(3), strict=True):
                out[f"{base}{name}.{kind}"] = rows.contiguous()
        elif part in _BACK:
            out[f"{base}{_BACK[part]}.{kind}"] = value
        else:
            raise KeyError(f"no BERT name for '{key}'")
    return out


def build_encoder(shape: EncoderShape, words: torch.nn.Module) -> torch.nn.Module:
    """An encoder of ``shape`` over the word table ``words`` (ids → vectors), its other
    weights torch's random initialisation: load them with
    ``load_state_dict(torch_names(state), assign=True)``. (Building on the meta device
    instead would skip that 0.1 s, but it imports ``torch._dynamo``: 2 s.)

    Turns off torch's fused "fast path" for the process's attention layers (its one switch,
    ``torch.backends.mha``): on these CPUs its masked softmax took 55 % of the learned
    reader's pass (4 pairs × 96 tokens, padded), which cost 124–131 core-ms against 60–70
    on the ordinary path, scaled-dot-product attention as BertModel used; under bfloat16
    autocast it even fails on mixed dtypes when the batch is packed (2026-12-03)."""
    import torch

    torch.backends.mha.set_fastpath_enabled(False)
    return _encoder_class()(shape, words)  # type: ignore[no-any-return]


@functools.cache
def _encoder_class() -> type:
    import torch
    from torch import nn

    class E5Embeddings(nn.Module):
        """Word + position + token-type vectors, normalised (``BertEmbeddings``' names)."""

        def __init__(self, shape: EncoderShape, words: nn.Module):
            super().__init__()
            self.word_embeddings = words
            self.position_embeddings = nn.Embedding(shape.positions, shape.hidden)
            self.token_type_embeddings = nn.Embedding(shape.token_types, shape.hidden)
            self.LayerNorm = nn.LayerNorm(shape.hidden, eps=shape.eps)
            self.dropout = nn.Dropout(DROPOUT)

        def forward(self, ids: torch.Tensor, types: torch.Tensor | None) -> torch.Tensor:
            positions = torch.arange(ids.shape[1]).unsqueeze(0)
            if types is None:
                types = torch.zeros_like(ids)
            x = self.word_embeddings(ids) + self.token_type_embeddings(types)
            x = x + self.position_embeddings(positions)
            out: torch.Tensor = self.dropout(self.LayerNorm(x))
            return out

    class E5Encoder(nn.Module):
        """Token ids (and mask, types) → the last layer's token states (batch, tokens, hidden)."""

        def __init__(self, shape: EncoderShape, words: nn.Module):
            super().__init__()
            self.heads = shape.heads
            self.embeddings = E5Embeddings(shape, words)
            layer = nn.TransformerEncoderLayer(
                shape.hidden,
                shape.heads,
                dim_feedforward=shape.ffn,
                dropout=DROPOUT,
                activation="gelu",
                layer_norm_eps=shape.eps,
                batch_first=False,
                norm_first=False,
            )
            self.encoder = nn.TransformerEncoder(layer, shape.layers, enable_nested_tensor=False)
            for each in self.encoder.layers:  # BERT drops out no feed-forward inner state
                each.dropout = nn.Identity()

        def forward(
            self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor | None = None
        ) -> torch.Tensor:
            # Padding as a per-head attention mask rather than ``src_key_padding_mask``: the
            # same products (tested), but torch checks a padding mask's shape with
            # ``torch._check_with``, whose first call imports sympy (1.2 s of a start).
            batch, tokens = ids.shape
            blocked = (mask == 0)[:, None, None, :].expand(batch, self.heads, tokens, tokens)
            # Tokens first, contiguous: with batch_first, attention's input projection gets
            # a transposed view, which autocast's matmul ran as a batched product with the
            # weight copied per token (ingest 3.5x slower, 2026-12-03).
            states: torch.Tensor = self.encoder(
                self.embeddings(ids, types).transpose(0, 1).contiguous(),
                mask=blocked.reshape(-1, tokens, tokens),
            )
            return states.transpose(0, 1)

    return E5Encoder
