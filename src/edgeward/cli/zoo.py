"""``edgeward zoo build | list``: pretrained models built from their published weights."""

from __future__ import annotations

from typing import Annotated

import typer

from edgeward.cli.exit_codes import friendly
from edgeward.cli.output import Column, JsonFlag, emit_rows, err, note, print_json
from edgeward.errors import OptionError

app = typer.Typer(help="Pretrained models: build packages from their published weights.", no_args_is_help=True)


@app.command("build")
@friendly
def zoo_build(
    names: Annotated[list[str], typer.Argument(help="Recipes to build, e.g. posenet")],
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the package exists")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Fetch published weights, convert, verify and write packages to the local store."""
    from edgeward.zoo import RECIPES, build

    for name in names:  # all names checked before minutes of building
        if name not in RECIPES:
            raise OptionError(f"no zoo recipe named '{name}' (available: {', '.join(sorted(RECIPES))})")
    built = []
    for name in names:
        with err.status(f"{name}: starting") as status:
            path = build(name, force=force, on_step=lambda s, n=name: status.update(f"{n}: {s}"))  # type: ignore[misc]
        built.append({"name": name, "path": str(path)})
        note(f"{name}: {path}", as_json)
    if as_json:
        print_json(built)


@app.command("list")
@friendly
def zoo_list(as_json: JsonFlag = False) -> None:
    """Packages in the local store."""
    from edgeward.package.store import list_packages

    rows = [{"name": m.name, "version": m.version, "task": m.task, "variants": list(m.files)}
            for m in list_packages()]
    emit_rows(rows, [Column("name"), Column("version"), Column("task"), Column("variants")],
              "packages in the local store", as_json)
