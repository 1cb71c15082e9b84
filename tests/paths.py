"""Where the tests find the project's files and the exported models. A module of its own, since
two conftest.py files (here and in browser/) share the module name ``conftest`` and a test
cannot import from either reliably."""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.runtime.export_cache import models_cache

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CHROMA = Path(sys.executable).with_name("chroma")
MODEL_CACHE = models_cache()
"""The developer's exported models: derived from the packaged weights and checked by hash,
so every test shares them rather than exporting the encoder again in each temporary folder."""
