"""The federated coordinator under load: N clients (default 200) held in one round, on one or two
`edgeward serve` processes sharing a database (SQLite under a temp home, or PostgreSQL by URL).

    .venv/bin/python bench/federated_load.py [--clients 200] [--database-url postgresql+psycopg://…]
        [--out docs/bench/federated]

Each setting runs on a fresh home (and, for PostgreSQL, emptied tables). Writes load.json and load.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from dataclasses import replace
from pathlib import Path

from edgeward.bench.federated_load import LoadReport, markdown, run_load
from edgeward.server.background import start_server_process
from edgeward.settings import get_settings

TOKEN = "load-bench-token"


def one(servers: int, clients: int, database_url: str | None) -> LoadReport:
    with tempfile.TemporaryDirectory() as tmp:
        if database_url:
            from sqlalchemy import create_engine

            from edgeward.migrations import drop_all

            engine = create_engine(database_url)
            drop_all(engine)
            engine.dispose()
        settings = replace(get_settings(), home=Path(tmp), registry_token=TOKEN, registry_url=None,
                           database_url=database_url, blob_dir=None)
        procs = [start_server_process(settings) for _ in range(servers)]
        try:
            return run_load([url for _, url in procs], TOKEN, clients=clients)
        finally:
            for proc, _ in procs:
                proc.kill()
                proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--database-url", default=None, help="also run on this PostgreSQL (emptied first)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    runs: list[tuple[str, LoadReport]] = []
    for db, url in [("SQLite", None), *([("PostgreSQL", args.database_url)] if args.database_url else [])]:
        for servers in (1, 2):
            name = f"{db}, {servers} process{'es' if servers > 1 else ''}"
            print(f"==> {name}: {args.clients} clients", flush=True)
            runs.append((name, one(servers, args.clients, url)))
    table = markdown(runs)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        machine = f"{platform.processor() or platform.machine()}, {platform.python_version()}"
        (args.out / "load.json").write_text(json.dumps({name: r.as_dict() for name, r in runs}, indent=1) + "\n")
        (args.out / "load.md").write_text(
            f"# Federated coordinator under load\n\n`.venv/bin/python bench/federated_load.py --clients {args.clients}"
            f"{' --database-url …' if args.database_url else ''}` on {machine}: each client joins, checks in and "
            "sends one update (a 650-parameter linear head); all updates leave at once into one round of "
            f"{args.clients}. Latency is per request as the client saw it, queueing included: the coordinator "
            "serialises writes to a task (one transaction per request), so p50 grows with the round's size.\n\n"
            + table)
    if not all(r.ok for _, r in runs):
        raise SystemExit("some run had errors, lost updates or a wrong aggregate (see above)")


if __name__ == "__main__":
    main()
