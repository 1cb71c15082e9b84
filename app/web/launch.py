"""Starting the web server safely: loopback unless protected by a password, never shared."""

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


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``USER:PASS`` as a pair, or a SettingsError saying what shape is expected."""
    if auth is None:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise SettingsError("auth must look like USER:PASS", "for example --auth alice:s3cret")
    return user, password


def check_binding(settings: Settings) -> tuple[str, str] | None:
    """The login pair to require; refuses to expose the chat beyond this machine without one."""
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
