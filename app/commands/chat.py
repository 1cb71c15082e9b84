"""``citewise chat``: the web chat over the index."""

from __future__ import annotations

from pathlib import Path

import click

from app.commands.options import store_option
from app.composition import Components
from ingest.settings import load_settings


@click.command()
@store_option
@click.option("--host", default=None, help="Address to bind (setting host; default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (setting port; default 7860).")
@click.option(
    "--auth",
    default=None,
    metavar="USER:PASS",
    help="Require this login (setting auth; several as USER:PASS,USER2:PASS2, each with "
    "their own conversations); needed to bind a non-loopback address.",
)
def chat(store_dir: Path | None, host: str | None, port: int | None, auth: str | None) -> None:
    """Open the web chat: ask questions, click citations to see their passages, manage files.

    \b
    Examples:
      citewise chat                              # http://127.0.0.1:7860
      citewise chat --port 8080 --store my-index
      citewise chat --host 0.0.0.0 --auth alice:s3cret
    """
    settings = load_settings(store_dir=store_dir, host=host, port=port, auth=auth)
    from app.web import build_app, check_binding, launch_app

    check_binding(settings)
    app = build_app(Components(settings))
    click.echo(f"citewise chat on http://{settings.host}:{settings.port} (Ctrl+C to stop)")
    launch_app(app, settings)
