"""Quality gate: metric bounds from a TOML file, checked against an eval result.

``[min]`` lists metrics that must not fall below a value, ``[max]`` those that must not rise
above one (false refusals, latency).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from evals.suite.errors import DatasetError

DEFAULT_THRESHOLDS = Path(__file__).resolve().parents[1] / "thresholds.toml"


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> dict[str, dict[str, float]]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DatasetError(f"Cannot read thresholds {path}: {exc}") from None
    unknown = set(data) - {"min", "max"}
    if unknown:
        raise DatasetError(f"{path}: unknown section(s) {sorted(unknown)}; use [min] and [max]")
    return {side: {k: float(v) for k, v in data.get(side, {}).items()} for side in ("min", "max")}


def gate_failures(
    metrics: Mapping[str, float | None], thresholds: Mapping[str, Mapping[str, float]]
) -> list[str]:
    """One line per metric outside its bound (a missing metric fails too)."""
    failures = []
    for side, bounds in thresholds.items():
        for key, bound in bounds.items():
            value = metrics.get(key)
            if value is None:
                failures.append(f"{key}: missing (bound {bound})")
            elif (side == "min" and value < bound) or (side == "max" and value > bound):
                word = "below" if side == "min" else "above"
                failures.append(f"{key} = {value:.3f}, {word} its {side} {bound}")
    return failures
