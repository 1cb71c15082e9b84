"""The ``citewise`` command: one group whose subcommands load on demand.

Loading lazily keeps ``citewise --help`` instant (no torch import), and a built-in command is
found without scanning the installed packages' entry points. The ``eval`` command lives
in ``evals/`` and joins through the ``citewise.commands`` entry point, because imports flow
ingest <- retriever <- app <- evals and never the other way.
"""

from __future__ import annotations

import importlib
import logging
import os
from importlib.metadata import entry_points
from typing import Any

import click

from app.commands.options import settings_table
from ingest.errors import CitewiseError
from ingest.settings import load_settings

COMMANDS = {
    "ingest": "app.commands.corpus:ingest",
    "docs": "app.commands.corpus:docs",
    "remove": "app.commands.corpus:remove",
    "ask": "app.commands.ask:ask",
    "chat": "app.commands.chat:chat",
}
PLUGIN_GROUP = "citewise.commands"
DEBUG_ENV = "CITEWISE_DEBUG"
NOTICES = "citewise"
"""The logger of notices a command prints on stderr as they are, one line each (a damaged
lexical index rebuilt, ...)."""


class _NoticeLine(logging.Handler):
    """Prints each notice as one line on stderr (where the command's errors go too)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(record.getMessage(), err=True)


def _show_notices() -> None:
    logger = logging.getLogger(NOTICES)
    if not any(isinstance(h, _NoticeLine) for h in logger.handlers):
        logger.addHandler(_NoticeLine(logging.WARNING))
        logger.propagate = False


def _command_paths() -> dict[str, str]:
    paths = dict(COMMANDS)
    for ep in entry_points(group=PLUGIN_GROUP):
        paths.setdefault(ep.name, ep.value)
    return paths


class CitewiseGroup(click.Group):
    """Loads subcommands on first use and turns ``CitewiseError`` into a one-line message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_command_paths()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        path = COMMANDS.get(cmd_name) or _command_paths().get(cmd_name)
        if path is None:
            return None
        module, _, attr = path.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CitewiseError as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            raise click.ClickException(str(exc)) from None


@click.group(cls=CitewiseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="citewise")
def cli() -> None:
    """Ask questions about your documents; every answer cites the passages it comes from.

    \b
    Quick start:
      citewise ingest corpus/          # index a folder (re-run to sync changes)
      citewise ask "What is ...?"      # answer with numbered citations
      citewise chat                    # web chat at http://127.0.0.1:7860

    Settings have offline defaults. Override any of them with an environment variable
    CITEWISE_<NAME> (e.g. CITEWISE_CHROMA_URL) or in a TOML file, ./citewise.toml or the
    file named by CITEWISE_SETTINGS_FILE. Command options win over both. Run
    'citewise settings' to list every setting with its value and meaning.
    """
    _show_notices()


@cli.command()
def settings() -> None:
    """List every setting: its value now, its environment variable and what it does."""
    click.echo(settings_table(load_settings()))


def main() -> None:
    cli()
