"""``python -m edgeward.cli``."""

from edgeward.cli import app

app()
