"""The web chat: ``build_app`` makes the Gradio app, ``launch_app`` serves it safely."""

from app.web.launch import check_binding, launch_app
from app.web.layout import build_app

__all__ = ["build_app", "check_binding", "launch_app"]
