"""``python -m edgeward.migrations revision "message"``: autogenerate a new revision from the models,
against a scratch SQLite database brought to the newest revision first."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from edgeward.migrations import config, upgrade


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "revision":
        print(__doc__, file=sys.stderr)
        return 2
    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        command.revision(config(engine), message=argv[1], autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
