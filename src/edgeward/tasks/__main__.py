"""``python -m edgeward.tasks``: the task table, as the runtime dispatches on it."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from edgeward.tasks import TASKS


def main() -> None:
    table = Table(title="Edgeward tasks (JS: web/src/tasks/index.js)")
    for column in ("task", "decoder", "handle", "method", "defaults"):
        table.add_column(column)
    for task in TASKS.values():
        decoder = f"{task.decoder.__module__}.{task.decoder.__name__}" if task.decoder else "-"
        defaults = ", ".join(f"{k}={v!r}" for k, v in task.defaults.items()) or "-"
        table.add_row(task.name, decoder, task.handle.__name__, task.method or "run", defaults)
    Console().print(table)


if __name__ == "__main__":
    main()
