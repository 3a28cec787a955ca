#!/usr/bin/env bash
# Set up and run every check: lint, types, the test suite (real model, FAISS, uvicorn,
# Chromium and a local OpenAI-compatible LLM server), then the evaluation gate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# shellcheck disable=SC1091
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
ruff check .
ruff format --check .
mypy
python -m pytest
# The gate runs on the real index. The tests kept their e5 embedding cache (vectors keyed by
# text hash and embedder id), so seed the index's cache from it instead of embedding twice.
mkdir -p index/cache
cp -n .pytest_cache/d/e5-embedding-cache/*.npz index/cache/ 2>/dev/null || true
assistant ingest
assistant eval --gate --split all
# The same gate on the shared-database backend: a private PostgreSQL with pgvector
# (pgserver), the index published into it, the answers served from it.
(
  db_dir="$(mktemp -d)"
  trap 'ASSISTANT_LOCAL_DB_DIR="$db_dir" bash scripts/local-db.sh stop; rm -rf "$db_dir"' EXIT
  eval "$(ASSISTANT_LOCAL_DB_DIR="$db_dir" bash scripts/local-db.sh)"
  assistant ingest
  assistant eval --gate --split all
)
# The judge tier: the local model (xllamacpp + Qwen2.5-Coder-1.5B) judges whether the
# reader's quotes answer each held-out question; gated on its own floors.
assistant llm pull
mkdir -p data/logs
assistant llm serve --port 8765 > data/logs/judge-llm.log 2>&1 &
judge_pid=$!
trap 'kill "$judge_pid" 2>/dev/null || true' EXIT
python - <<'PY'
import time, urllib.request
for _ in range(240):
    try:
        urllib.request.urlopen("http://127.0.0.1:8765/health", timeout=2)
        break
    except OSError:
        time.sleep(0.5)
else:
    raise SystemExit("the local model server did not start: see data/logs/judge-llm.log")
PY
ASSISTANT_LLM__BASE_URL=http://127.0.0.1:8765/v1 ASSISTANT_LLM__MODEL=qwen2.5-coder-1.5b-instruct \
  ASSISTANT_ANSWER__JUDGE_TIMEOUT_S=60 \
  assistant eval --split heldout --judge llm --gate --gate-file eval/questions.judge.gate.toml
