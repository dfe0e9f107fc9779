"""The ``edgeward`` command: thin Typer commands, one module per group, each calling one library function.

EdgewardErrors print as one line and exit with their class's code (:mod:`edgeward.cli.exit_codes`);
data prints as a rich table or, with ``--json``, as JSON (:mod:`edgeward.cli.output`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from edgeward.cli import bench, convert, federate, optimize, packages, serve, tasks, train, zoo
from edgeward.cli.exit_codes import EPILOG

app = typer.Typer(help="Edgeward: take ML models from Python to the browser edge.", epilog=EPILOG,
                  no_args_is_help=True, pretty_exceptions_enable=False)


def _version(value: bool) -> None:
    if value:
        from edgeward import __version__

        typer.echo(f"edgeward {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                 help="Print the version and exit")] = None,
) -> None:
    """Edgeward: take ML models from Python to the browser edge."""


# Grouped as a user meets them: convert, run, optimize, measure, distribute (Typer lists zoo last).
app.command()(convert.convert)
app.command()(tasks.pose)
app.command()(tasks.detect)
app.command()(tasks.classify)
app.command()(tasks.embed)
app.command()(train.train)
app.add_typer(zoo.app, name="zoo")
app.add_typer(federate.app, name="federate")
app.command()(optimize.quantize)
app.command()(bench.bench)
app.command()(packages.pack)
app.command()(packages.publish)
app.command()(packages.pull)
app.command("list")(packages.list_)
app.command()(packages.schema)
app.command()(serve.serve)

__all__ = ["app"]
