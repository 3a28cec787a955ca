"""Would the learned reader rank chunks better than retrieval? hit@1 on the question set.

Each of retrieval's top ``--top`` chunks is scored by the best logit of its evidence units
(the learned reader, ``models/reader``), and the chunks are reordered by
``w · logit − rank`` for every weight in ``--weights`` (w = 0: retrieval's own order). Only
answerable single-turn items; dev and held-out figures side by side. The model was trained
on dev questions, so only the held-out column says whether it carries.

    python bench/rerank_chunks_learned.py [--top 3] [--weights 0,0.5,1,2,100]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from assistant.answer.learned import load_learned_reader, passage_text
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.metrics import gold_rank
from assistant.launcher import load_services
from assistant.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--weights", default="0,0.1,0.3,0.5,1,2,100")
    parser.add_argument("--set", default="eval/questions.yaml")
    parser.add_argument("--reader", type=Path, default=Path("models/reader"))
    args = parser.parse_args()
    service = load_services(get_settings()).answers
    index = service.index
    reader, notice = load_learned_reader(args.reader)
    if reader is None:
        raise SystemExit(notice)
    position = {c.id: i for i, c in enumerate(index.chunks)}
    units: dict[int, list[int]] = {}
    for e, unit in enumerate(index.evidence):
        units.setdefault(unit.chunk, []).append(e)
    items = [i for i in load_question_set(Path(args.set)).items if i.answerable and not i.history]
    began = time.process_time()
    rows = []
    for item in items:
        hits = service.retrieve(item.question, k=10)
        best = []
        for hit in hits[: args.top]:
            passages = [passage_text(index, e) for e in units.get(position[hit.chunk.id], [])]
            best.append(max(reader.scores(item.question, passages)) if passages else -10.0)
        rows.append((item, [(h.chunk.document_id, h.chunk.text) for h in hits], best))
    spent = time.process_time() - began
    print(f"{len(items)} questions, top {args.top} chunks, {spent:.0f} core-s")
    print(f"{'w':>6} {'dev hit@1':>10} {'held-out hit@1':>15}")
    for weight in (float(w) for w in args.weights.split(",")):
        hit = {"dev": [], "heldout": []}
        for item, pairs, best in rows:
            order = sorted(range(len(best)), key=lambda j: -(weight * best[j] - j))
            ranked = [pairs[j] for j in order] + pairs[len(best) :]
            hit[item.split].append(gold_rank(item, ranked) == 1)
        print(f"{weight:6.2f} {np.mean(hit['dev']):10.3f} {np.mean(hit['heldout']):15.3f}")


if __name__ == "__main__":
    main()
