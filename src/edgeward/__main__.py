"""``python -m edgeward``: the ``edgeward`` command, for when its script is not on PATH."""

from edgeward.cli import app

app(prog_name="edgeward")
