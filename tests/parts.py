"""The type of the ``parts_for`` fixture (conftest.py), for test signatures."""

from __future__ import annotations

from collections.abc import Callable

from app.composition import Components
from ingest.settings import Settings

PartsFor = Callable[[Settings], Components]
"""Components for the given settings, sharing the test session's loaded models."""
