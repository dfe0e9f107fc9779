"""``edgeward serve``: the browser runtime, model packages and the demo pages over HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from edgeward.cli.exit_codes import friendly
from edgeward.cli.output import note


@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Serve the browser runtime, model packages and the pose playground."""
    from edgeward.server.app import serve as run_server
    from edgeward.vendor import check_runtime_files

    check_runtime_files()  # a clear error now, not 404s in the browser later
    note(f"Edgeward playground: http://{host}:{port}/apps/playground/")
    run_server(host=host, port=port)
