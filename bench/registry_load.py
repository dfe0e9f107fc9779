"""The registry under load: N clients (default 100) resolving and downloading — whole, in Range requests,
and revalidated with If-None-Match — while new versions are published, against one `edgeward serve`
process on SQLite (a temp home) and, with --database-url, on PostgreSQL.

    .venv/bin/python bench/registry_load.py [--clients 100] [--iterations 5] [--file-kb 128]
        [--database-url postgresql+psycopg://…] [--out docs/bench/registry]

Writes load.json and load.md. PostgreSQL's tables are emptied first.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from dataclasses import replace
from pathlib import Path

from edgeward.bench.registry_load import RegistryLoadReport, markdown, run_registry_load
from edgeward.server.background import start_server_process
from edgeward.settings import get_settings

TOKEN = "registry-load-bench-token"


def one(args: argparse.Namespace, database_url: str | None) -> RegistryLoadReport:
    with tempfile.TemporaryDirectory() as tmp:
        if database_url:
            from sqlalchemy import create_engine

            from edgeward.migrations import drop_all

            engine = create_engine(database_url)
            drop_all(engine)
            engine.dispose()
        settings = replace(get_settings(), home=Path(tmp), registry_token=TOKEN, registry_url=None,
                           database_url=database_url, blob_dir=None)
        proc, url = start_server_process(settings, ready_path="/api/v1/packages")
        try:
            return run_registry_load(url, TOKEN, clients=args.clients, iterations=args.iterations,
                                     file_bytes=args.file_kb * 1024)
        finally:
            proc.kill()
            proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--iterations", type=int, default=5, help="resolve-download rounds per client")
    ap.add_argument("--file-kb", type=int, default=128)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    runs = []
    for name, url in [("SQLite", None), *([("PostgreSQL", args.database_url)] if args.database_url else [])]:
        print(f"==> {name}: {args.clients} clients × {args.iterations}", flush=True)
        runs.append((name, one(args, url)))
    table = markdown(runs)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
        (args.out / "load.json").write_text(json.dumps({n: r.as_dict() for n, r in runs}, indent=1) + "\n")
        (args.out / "load.md").write_text(
            f"# Registry under load\n\n`.venv/bin/python bench/registry_load.py --clients {args.clients} --iterations "
            f"{args.iterations} --file-kb {args.file_kb}{' --database-url …' if args.database_url else ''}` on "
            f"{machine}, one server process, client and server on the same 2 cores (loopback). Each client: "
            "resolve `^1` → read the version → download whole (sha256 checked) → two Range halves (joined, "
            "checked) → If-None-Match (304); a publisher adds a version every 0.2 s meanwhile.\n\n" + table)
    if not all(r.ok for _, r in runs):
        raise SystemExit("errors, corrupted downloads or unexpected statuses (see above)")


if __name__ == "__main__":
    main()
