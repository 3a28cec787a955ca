"""Tune the reader's weights on the dev split: answer accuracy of answerable dev items.

Retrieval and query embeddings are computed once per item; then every weight
combination of the grid recomposes the answers (no abstention) and counts the
items whose expected facts are all in the answer text. Prints the best
combinations; the held-out split is never read.

    python bench/tune_reader.py [--set eval/questions.yaml]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from assistant.answer import extractive
from assistant.answer.conversation import standalone_question
from assistant.answer.models import Turn
from assistant.evaluation.dataset import load_question_set
from assistant.evaluation.metrics import fact_present
from assistant.language import detect_language
from assistant.launcher import load_services
from assistant.settings import get_settings

GRID = {
    "lexical": [0.1, 0.15, 0.25],
    "form": [0.0, 0.02, 0.04],
    "block_fit": [0.0, 0.02, 0.04],
    "block_other": [0.0, -0.02, -0.05],
    "margin": [0.02, 0.035, 0.05],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="eval/questions.yaml")
    args = parser.parse_args()
    services = load_services(get_settings())
    service = services.answers
    items = [i for i in load_question_set(Path(args.set)).split("dev") if i.answerable]
    prepared = []
    for item in items:
        history: list[Turn] = []
        for turn in item.history:
            earlier = service.answer(turn, history=history)
            history += [
                Turn(role="user", content=turn),
                Turn(role="assistant", content=earlier.answer),
            ]
        question = item.question
        language = detect_language(question)
        standalone = standalone_question(question, history)
        texts = [question] if standalone == question else [question, standalone]
        vectors = service.retriever.embedder.embed_queries(texts)
        hits = service.retrieve(standalone, query_vector=vectors[-1], language=language)
        analysis = service._analyse(question, standalone, language)
        prepared.append((item, question, vectors, hits, language, standalone, analysis))
    original = dict(extractive.WEIGHTS)
    results = []
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        extractive.WEIGHTS.update(dict(zip(keys, values, strict=True)))
        correct = 0
        for item, question, vectors, hits, language, standalone, analysis in prepared:
            text = service.extractive.compose(
                question, vectors, hits, language, standalone, analysis
            ).text
            correct += all(fact_present(text, f) for f in item.expected_facts)
        results.append((correct, dict(zip(keys, values, strict=True))))
    extractive.WEIGHTS.update(original)
    results.sort(key=lambda r: -r[0])
    print(f"{len(items)} answerable dev items; current weights: {original}")
    for correct, weights in results[:10]:
        print(f"{correct / len(items):.3f} ({correct})  {weights}")


if __name__ == "__main__":
    main()
