"""Starting the web server safely: loopback unless protected by a password, never shared
(and no hint in the terminal that it could be)."""

from __future__ import annotations

import ipaddress
from importlib.resources import files
from typing import Any

import gradio as gr

from ingest.errors import SettingsError
from ingest.settings import Settings

LOCAL_NAMES = {"localhost", "localhost.localdomain"}
SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace")


def is_loopback(host: str) -> bool:
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str | None) -> list[tuple[str, str]] | None:
    """``USER:PASS`` (or several, comma-separated) as login pairs, or a SettingsError saying
    what shape is expected. Each user has their own saved conversations."""
    if auth is None:
        return None
    pairs = []
    for entry in auth.split(","):
        user, sep, password = entry.strip().partition(":")
        if not sep or not user or not password:
            raise SettingsError(
                "auth must look like USER:PASS (or USER:PASS,USER2:PASS2)",
                "for example --auth alice:s3cret",
            )
        pairs.append((user, password))
    return pairs


def check_binding(settings: Settings) -> list[tuple[str, str]] | None:
    """The login pairs to require; refuses to expose the chat beyond this machine without."""
    credentials = parse_auth(settings.auth)
    if credentials is None and not is_loopback(settings.host):
        raise SettingsError(
            f"Refusing to serve the chat on {settings.host} without a password",
            "add --auth USER:PASS (or set CITEWISE_AUTH), or bind to 127.0.0.1",
        )
    return credentials


def asset(name: str) -> str:
    return files("app.web").joinpath("static", name).read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    """A calm theme with system fonts, so the page never fetches fonts from the internet."""
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        radius_size="md",
        font=SYSTEM_FONTS,
        font_mono=MONO_FONTS,
    )


def launch_app(app: gr.Blocks, settings: Settings, **options: Any) -> Any:
    """Serve ``app`` on ``settings.host:port`` with the chat's styles and citation script.

    ``options`` go to ``Blocks.launch`` (tests pass ``prevent_thread_lock=True``).
    """
    credentials = check_binding(settings)
    return app.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=credentials,
        share=False,
        max_file_size=f"{settings.max_file_mb:g}mb",
        theme=theme(),
        css=asset("citewise.css"),
        head=f"<script>{asset('citewise.js')}</script>",
        show_error=True,
        quiet=True,
        **options,
    )
