"""The learned reader: a cross-encoder scores whether a unit answers the question.

Trained here from e5's own weights (``assistant reader train``, :mod:`assistant.reader`);
this module only loads the artifact and scores. The answer service asks it to score the
reader's best candidate units (:data:`SCORED_UNITS` of them, in one batch); the units are
re-ranked by that score and abstention takes the calibrated probability of the best one.

The artifact (``models/reader/``) is checked like an index build: its manifest lists
every file with size and SHA-256, and names the corpus it was trained on. A missing or
damaged artifact is never an error: :func:`load_learned_reader` returns None with the
reason, and the service answers with the extractive reader and says so (``/readyz``,
``assistant eval``).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.components.e5_torch import file_sha256
from assistant.components.precision import TorchPrecision, autocast, hold_linear_weights
from assistant.index.store import LoadedIndex

if TYPE_CHECKING:
    from assistant.answer.candidate import Candidate

MANIFEST_FILE = "manifest.json"
SCORED_UNITS = 4
"""Candidates the cross-encoder scores per question. Its rank weight is 0 (it decides
abstention through its best logit; the hand-made reader orders the units), and the best
logit over the reader's first 4 units decided as well as over 8: on the dev split, served
6-layer student at 96 tokens, 4 units accuracy 0.804 (8: 0.801), answer accuracy 0.808
(0.808), abstention recall 0.800 (0.792), wrongly refused 4.8 % (4.8 %), the model's
core-ms per answer 60.3 against 106.3; 3 units refused 6.2 %
(``python bench/curve_learned.py --split dev --units 8,4,3 --lengths 96,64``, 2026-12-03)."""
SERVED_TOKENS = 96
"""Tokens per (question, passage) pair when serving (trained at 160). On the dev split
8 units × 96 tokens answered exactly as 8 × 160 (accuracy 0.812, wrongly refused 4.1 %) at
366 against 551 core-ms for the model; 64 tokens refused 7.5 % (the 12-layer teacher,
2026-12-02; the student 2026-12-03: 64 tokens refused 11.0 % at 8 units, 14.4 % at 4).
``python bench/curve_learned.py``."""


def passage_text(index: LoadedIndex, evidence: int) -> str:
    """The passage a unit is read as: its section path, then its text."""
    unit = index.evidence[evidence]
    chunk = index.chunks[unit.chunk]
    document = index.documents[chunk.document_id]
    section = document.section_at(unit.start)
    where = section.path_text if section else document.title
    return f"{where}: {document.text[unit.start : unit.end]}"


def corpus_hash(index: LoadedIndex) -> str:
    """A hash of the corpus an index was built from (its documents' content hashes)."""
    hashes = sorted(f"{d.id}:{d.content_hash}" for d in index.documents.values())
    return hashlib.sha256("\n".join(hashes).encode("utf-8")).hexdigest()


class ReaderModelError(RuntimeError):
    """The reader model cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Calibration:
    """P(answerable) = sigmoid(intercept + reader · logit(p_reader) + learned · best logit
    + english · [the question is English]).

    The hand-made reader's estimate combined with the cross-encoder's best logit, fitted
    on the dev split by ``python bench/calibrate_learned.py`` (stored in the manifest).
    The language term is there because the model reads English questions against
    Norwegian passages: its logits for them run lower (most training questions are
    Norwegian), so without it English questions that the documents answer were refused
    more often than Norwegian ones (dev: 3 of 26 English against 4 of 120 Norwegian,
    student reader, 2026-12-02). A manifest without the term reads it as 0.
    """

    reader: float
    learned: float
    intercept: float
    threshold: float
    rank_weight: float = 0.0
    """A unit's rank score is the reader's score + ``rank_weight`` · the model's logit."""
    english: float = 0.0

    def probability(self, reader_probability: float, best_logit: float, english: bool) -> float:
        p = min(max(reader_probability, 1e-6), 1 - 1e-6)
        z = self.intercept + self.reader * math.log(p / (1 - p)) + self.learned * best_logit
        z += self.english * float(english)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


class LearnedReader:
    """Scores (question, unit) pairs with the trained cross-encoder; thread-safe."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        model: Any,
        encoder: Any,
        precision: TorchPrecision = "auto",
        cache_size: int = 4096,
    ):
        self.folder = folder
        self.cache_size = cache_size
        """(question, passage) logits kept (``answer.reader_score_cache``)."""
        self.precision = precision
        self.manifest = manifest
        self.model = model
        self.encoder = encoder
        fitted = manifest.get("calibration") or {}
        self.calibration = Calibration(
            float(fitted.get("reader", 0.0)),
            float(fitted.get("learned", 1.0)),
            float(fitted.get("intercept", 0.0)),
            float(fitted.get("threshold", 0.5)),
            float(fitted.get("rank_weight", 0.0)),
            float(fitted.get("english", 0.0)),
        )
        self.exhaustive = False
        """Read every one of the first :data:`SCORED_UNITS` units (:meth:`rank`), never
        stopping early (:attr:`reads_lazily`): the benches that fit the calibration and
        draw the cost curve need the true best logit of every question."""
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    @property
    def name(self) -> str:
        return str(self.manifest.get("name", self.folder.name))

    @property
    def trained_on(self) -> str:
        """The hash of the corpus the model was trained on."""
        return str(self.manifest.get("corpus_hash", ""))

    def scores(self, question: str, passages: list[str]) -> list[float]:
        """The model's logit for each passage; the pairs not scored lately in one batch.

        Only the cache and the tokenizer (whose truncation the encoder sets on every call)
        are held under the lock; the model pass runs outside it, so concurrent answers use
        every core (torch releases the GIL for its kernels)."""
        import torch

        with self._lock:
            known = {p: self._seen[(question, p)] for p in passages if (question, p) in self._seen}
            new = [p for p in dict.fromkeys(passages) if p not in known]
            if new:
                ids, mask, types = self.encoder.encode([(question, p) for p in new])
        if new:
            with torch.inference_mode(), autocast(self.precision):
                logits = [float(v) for v in self.model(ids, mask, types).float()]
            known.update(zip(new, logits, strict=True))
        with self._lock:
            for p in passages:
                self._seen[(question, p)] = known[p]
                self._seen.move_to_end((question, p))
            while len(self._seen) > self.cache_size:
                self._seen.popitem(last=False)
        return [known[p] for p in passages]

    @property
    def reads_lazily(self) -> bool:
        """Whether the service asks :meth:`read` after its rules, not :meth:`rank` inside
        the composition: only when the model does not reorder the units (rank weight 0)
        and its calibrated probability rises with its logit."""
        c = self.calibration
        return not self.exhaustive and c.rank_weight == 0 and c.learned > 0

    def read(
        self,
        index: LoadedIndex,
        question: str,
        candidates: list[Candidate],
        answers: Callable[[float], bool],
    ) -> tuple[float, int] | None:
        """The best logit over the first :data:`SCORED_UNITS` candidates as far as the
        decision needs it, and how many units were read; None without candidates.

        The reader's best unit is read first, alone; the others, in one batch, only when
        its logit does not let the answer through (``answers``, the calibrated decision):
        the probability rises with the best logit, so a unit further down cannot undo the
        decision to answer. Over the 407 questions of the evaluation set (2026-12-04,
        served student), of the 285 the model decides, 209 are answered on the first unit
        and 76 read all four (47 of them refused). One unit at a time would read fewer pairs
        (39 k tokens against 45 k, and 107 k padded in batches of four) but not fewer
        core-ms: a batch of four costs 103 core-ms here, four single passes 123, one 31
        (89 tokens, one thread). The best logit reported is a lower bound where the first
        unit answered."""
        top = candidates[:SCORED_UNITS]
        if not top:
            return None
        (best,) = self.scores(question, [passage_text(index, top[0].evidence)])
        if answers(best) or len(top) == 1:
            return best, 1
        rest = self.scores(question, [passage_text(index, c.evidence) for c in top[1:]])
        return max(best, *rest), len(top)

    def forget(self) -> None:
        """Drops the kept scores (benchmarks that repeat questions)."""
        with self._lock:
            self._seen.clear()

    def rank(
        self, index: LoadedIndex, question: str, candidates: list[Candidate]
    ) -> list[tuple[Candidate, float]]:
        """The first :data:`SCORED_UNITS` candidates with their logits, best first."""
        top = candidates[:SCORED_UNITS]
        logits = self.scores(question, [passage_text(index, c.evidence) for c in top])
        return sorted(zip(top, logits, strict=True), key=lambda t: -t[1])


def read_manifest(folder: Path) -> dict[str, Any]:
    """The artifact's manifest, every file it lists checked (size and SHA-256)."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ReaderModelError(f"no reader model in {folder} (run `assistant reader train`)")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReaderModelError(f"{path} cannot be read: {exc}") from exc
    for name, expected in manifest.get("files", {}).items():
        file = folder / name
        if not file.is_file() or file.stat().st_size != expected["bytes"]:
            raise ReaderModelError(f"{file} is missing or has the wrong size")
        if file_sha256(file) != expected["sha256"]:
            raise ReaderModelError(f"{file} does not match its SHA-256 in the manifest")
    return manifest


def load_learned_reader(
    folder: Path, precision: TorchPrecision = "auto", cache_size: int = 4096
) -> tuple[LearnedReader | None, str | None]:
    """The reader model in ``folder``, or None and the reason it cannot be used;
    ``precision``: :mod:`assistant.components.precision`."""
    try:
        manifest = read_manifest(folder)
        from assistant.components.cross_encoder import CrossEncoderError, load_cross_encoder
        from assistant.components.e5_torch import E5FileError, shared_e5_file

        try:
            model, encoder = load_cross_encoder(folder, shared_e5_file())
        except (CrossEncoderError, E5FileError) as exc:
            raise ReaderModelError(str(exc)) from exc
    except ReaderModelError as exc:
        return (
            None,
            f"the learned reader is not used: {exc}; answers come from the extractive reader",
        )
    except ImportError as exc:
        return None, f"the learned reader needs torch and tokenizers ({exc})"
    encoder.max_length = min(encoder.max_length, SERVED_TOKENS)
    hold_linear_weights(model, precision)
    return LearnedReader(folder, manifest, model, encoder, precision, cache_size), None
