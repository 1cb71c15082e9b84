"""Options shared by several subcommands, and the settings listing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ingest.settings import Settings

F = Callable[..., Any]


def store_option(f: F) -> F:
    return click.option(
        "--store",
        "store_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Index folder (setting store_dir, env CITEWISE_STORE_DIR; default .citewise).",
    )(f)


def quiet_option(f: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="No progress bars.")(f)


def settings_table(settings: Settings) -> str:
    """A plain-text table of every setting, for ``citewise settings``."""
    lines = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if name == "llm_api_key" and value != "not-needed":
            value = "***"
        lines.append(
            f"{name} = {plain(value)}\n    env CITEWISE_{name.upper()}: {info.description}"
        )
    return "\n".join(lines)


def plain(value: Any) -> str:
    """A setting's value as a person writes it: paths and text bare, lists as JSON."""
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return json.dumps([str(v) if isinstance(v, Path) else v for v in value], ensure_ascii=False)
    return str(value)
