"""A folder of files made from model weights (ONNX exports), each checked by its SHA-256.

A caller names the folder by a digest of the weights an export is made from, so new weights
get a new folder and never meet an old export. A manifest in the folder records each file's
SHA-256 when it was written; a file that no longer matches (truncated, edited, half-written)
is made again rather than loaded. A file lock keeps two processes from exporting at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

MANIFEST = "manifest.json"


def models_cache(cache_dir: Path | None = None) -> Path:
    """The folder of exported models: ``cache_dir`` if set, else ~/.cache/citewise/models
    (XDG_CACHE_HOME)."""
    if cache_dir is not None:
        return cache_dir
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "citewise" / "models"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_file(folder: Path, name: str, make: Callable[[Path], None]) -> Path:
    """``folder/name``, made by ``make(path)`` unless it is there with the digest the
    manifest recorded. Raises OSError when the folder cannot be written."""
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with FileLock(str(folder / ".export.lock")):
        files = _read_manifest(folder)
        if target.is_file() and files.get(name) == file_digest(target):
            return target
        partial = folder / f".partial-{name}"
        make(partial)
        os.replace(partial, target)
        files[name] = file_digest(target)
        _write_manifest(folder, files)
    return target


def _read_manifest(folder: Path) -> dict[str, str]:
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return files if isinstance(files, dict) else {}


def _write_manifest(folder: Path, files: dict[str, str]) -> None:
    data = json.dumps({"files": files}, indent=1).encode()
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, folder / MANIFEST)
