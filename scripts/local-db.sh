#!/usr/bin/env bash
# A local PostgreSQL 16 with pgvector (the `pgserver` package, extra `postgres`) for trying
# the scale-out mode on one machine:
#   bash scripts/local-db.sh          # start it (data in data/postgres) and print the URL
#   eval "$(bash scripts/local-db.sh)"  # … and export ASSISTANT_DATABASE__URL
#   bash scripts/local-db.sh stop
# It listens on a Unix socket in the data folder only (no TCP port). Production points
# ASSISTANT_DATABASE__URL at any PostgreSQL >= 15 with the pgvector extension.
set -euo pipefail
cd "$(dirname "$0")/.."
folder="${ASSISTANT_LOCAL_DB_DIR:-data/postgres}"
mkdir -p "$folder"
action="${1:-start}"
if [ -n "${VIRTUAL_ENV:-}" ]; then py=python; elif [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
"$py" - "$folder" "$action" <<'PY'
import sys
import warnings
from pathlib import Path

warnings.simplefilter("ignore")  # pgserver's platformdirs warns without XDG_RUNTIME_DIR
try:
    import pgserver
except ImportError:
    raise SystemExit("local-db: install the extra first: pip install -e '.[postgres]'")

folder, action = Path(sys.argv[1]).resolve(), sys.argv[2]
server = pgserver.get_server(folder, cleanup_mode=None if action == "start" else "stop")
if action == "stop":
    server.cleanup()
    print(f"local-db: stopped ({folder})", file=sys.stderr)
else:
    print(f"local-db: running, data in {folder}; stop with: bash scripts/local-db.sh stop",
          file=sys.stderr)
    print(f"export ASSISTANT_DATABASE__URL='{server.get_uri()}'")
PY
