"""A question that asks two things, split into its two questions.

"Where is the LN2 laboratory located and which company has a joint lab with it?" holds two
questions whose answers usually lie in different sentences, and an extractive reader points at
one span: it would answer one part and drop the other. Split where "and" joins a second
question word, each part is answered (or refused) on its own, the second as a follow-up of the
first so that "it" still finds the laboratory.
"""

from __future__ import annotations

import re

_SECOND_QUESTION = re.compile(
    r"(?:,\s*|\s+)(?:and|but)\s+(?=(?:what|which|who|whom|whose|when|where|why|how)\b)",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3
"""A shorter part ("... and why?") leans on the first too much to be searched on its own."""


def question_parts(question: str) -> list[str]:
    """The question's parts, each ending in "?": two when it joins two questions, else one."""
    match = _SECOND_QUESTION.search(question)
    if match is None:
        return [question]
    first = question[: match.start()].strip().rstrip("?").strip()
    second = question[match.end() :].strip().rstrip("?").strip()
    if len(first.split()) < MIN_PART_WORDS or len(second.split()) < MIN_PART_WORDS:
        return [question]
    return [f"{first}?", f"{second[0].upper()}{second[1:]}?"]
