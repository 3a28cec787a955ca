#!/usr/bin/env bash
# The main job: set up, build the index if it is missing, then serve the API and the chat
# on http://127.0.0.1:8000 (chat at /chat/, API docs at /docs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
exec assistant serve "$@"
