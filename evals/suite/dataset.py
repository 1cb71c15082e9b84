"""Evaluation datasets: one JSON object per line, each a question with what a good answer holds.

The format is meant for users writing questions about their own corpus, so every problem is
reported with its line number and the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.suite.errors import DatasetError

DEFAULT_DATASET = Path(__file__).resolve().parents[1] / "datasets" / "insis.jsonl"
DEFAULT_CATEGORY = "general"
FIELDS = {"id", "category", "question", "turns", "answerable", "reference", "facts", "evidence"}


@dataclass(frozen=True)
class EvalItem:
    """One dataset entry; single questions are stored as one turn."""

    id: str
    category: str
    turns: tuple[str, ...]
    answerable: bool
    reference: str
    facts: tuple[tuple[str, ...], ...]
    """Every inner tuple is required; its strings are accepted alternatives."""
    evidence: tuple[str, ...]
    """Exact quotes from the corpus that support the answer."""

    @property
    def question(self) -> str:
        return self.turns[-1]

    @property
    def earlier_turns(self) -> tuple[str, ...]:
        return self.turns[:-1]


def load_dataset(path: Path) -> list[EvalItem]:
    """Read and validate a JSONL dataset; blank lines and lines starting with ``#`` are skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"Cannot read dataset {path}: {exc}") from None
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}, line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None
        item = parse_item(data, where)
        if item.id in seen:
            raise DatasetError(f"{where}: id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise DatasetError(f"Dataset {path} has no questions")
    return items


def parse_item(data: Any, where: str) -> EvalItem:
    """Validate one decoded entry; ``where`` prefixes every error message."""
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise DatasetError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {sorted(FIELDS)}"
        )
    item_id = _string(data, "id", where)
    where = f"{where} (id {item_id!r})"
    category = data.get("category", DEFAULT_CATEGORY)
    if not isinstance(category, str) or not category.strip():
        raise DatasetError(f"{where}: field 'category' must be a non-empty string")
    turns = _turns(data, where)
    answerable = data.get("answerable")
    if not isinstance(answerable, bool):
        raise DatasetError(f"{where}: missing field 'answerable' (true or false)")
    reference = data.get("reference", "")
    if not isinstance(reference, str):
        raise DatasetError(f"{where}: field 'reference' must be a string")
    facts = _facts(data.get("facts", []), where)
    evidence = _strings(data.get("evidence", []), "evidence", where)
    if answerable and not facts:
        raise DatasetError(
            f'{where}: an answerable question needs \'facts\' (e.g. [["46", "forty-six"]])'
        )
    if answerable and not evidence:
        raise DatasetError(
            f"{where}: an answerable question needs 'evidence' quotes from the corpus"
        )
    if not answerable and (facts or evidence):
        raise DatasetError(f"{where}: an unanswerable question must have no 'facts' or 'evidence'")
    return EvalItem(item_id, category.strip(), turns, answerable, reference, facts, evidence)


def missing_evidence(
    items: Iterable[EvalItem], corpus_texts: Iterable[str]
) -> list[tuple[str, str]]:
    """(id, quote) for each evidence quote found in none of the texts, whitespace-insensitively."""
    from evals.suite.metrics.text import squash

    texts = [squash(t) for t in corpus_texts]
    return [
        (item.id, quote)
        for item in items
        for quote in item.evidence
        if not any(squash(quote) in text for text in texts)
    ]


def _string(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if value is None:
        raise DatasetError(f"{where}: missing field {name!r}")
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: field {name!r} must be a non-empty string")
    return value.strip()


def _turns(data: dict[str, Any], where: str) -> tuple[str, ...]:
    if ("question" in data) == ("turns" in data):
        raise DatasetError(
            f"{where}: give exactly one of 'question' (a string) or 'turns' (a list)"
        )
    if "question" in data:
        return (_string(data, "question", where),)
    turns = _strings(data["turns"], "turns", where)
    if not turns:
        raise DatasetError(f"{where}: field 'turns' must list at least one user message")
    return turns


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DatasetError(f"{where}: field {name!r} must be a list of non-empty strings")
    return tuple(value)


def _facts(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise DatasetError(f"{where}: field 'facts' must be a list of lists of alternatives")
    facts = []
    for n, fact in enumerate(value, start=1):
        if isinstance(fact, str):
            fact = [fact]
        if not isinstance(fact, list) or not fact:
            raise DatasetError(f"{where}: fact {n} must be a non-empty list of alternatives")
        facts.append(_strings(fact, f"facts[{n}]", where))
    return tuple(facts)
