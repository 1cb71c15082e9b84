"""Text normalisation shared by the metrics, so every comparison forgives the same things.

Answers are compared after folding case, accents and punctuation, reading number words as
digits ("forty-six" == "46") and ``%`` as "percent"; content words are also stemmed and
stripped of stopwords.

Independent of app/ and retriever/ on purpose: the judge must not share the judged system's rules.
"""

from __future__ import annotations

import re
import unicodedata

# fmt: off
UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
# fmt: on
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORDS = {word: n for n, word in enumerate(UNITS)} | TENS
_COMPOUND = re.compile(rf"\b({'|'.join(TENS)})[\s-]+({'|'.join(UNITS[1:10])})\b")
_SINGLE = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b")
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_SPACE = re.compile(r"\s+")

# fmt: off
STOPWORDS = frozenset({
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few",
    "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers",
    "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me",
    "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
    "other", "our", "ours", "out", "over", "own", "same", "she", "should", "so", "some", "such",
    "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this",
    "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
    "you", "your", "yours", "le", "la", "les", "de", "des", "du", "un", "une", "et", "en", "au",
    "aux", "est", "sont", "dans", "pour", "par", "sur", "e", "g", "eg", "ie", "etc",
})
# fmt: on


def squash(text: str) -> str:
    """Collapse runs of whitespace, for substring tests that ignore line breaks."""
    return _SPACE.sub(" ", text).strip()


def strip_markers(text: str) -> str:
    """Remove citation markers such as ``[1]`` or ``[1, 2]``."""
    return _MARKER.sub("", text)


def fold(text: str) -> str:
    """Lower case without accents, with ``%`` spelled out and number words as digits."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("%", " percent ")
    text = _COMPOUND.sub(lambda m: str(TENS[m[1]] + UNITS.index(m[2])), text)
    return _SINGLE.sub(lambda m: str(NUMBER_WORDS[m[1]]), text)


def tokens(text: str) -> list[str]:
    """Folded words and numbers, punctuation dropped."""
    return _NON_WORD.sub(" ", fold(text)).split()


def normalise(text: str) -> str:
    return " ".join(tokens(text))


def contains_phrase(haystack: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``haystack`` as whole normalised words."""
    needle = normalise(phrase)
    return bool(needle) and f" {needle} " in f" {normalise(haystack)} "


_SUFFIXES = (
    ("ational", "ate"),
    ("isation", "ise"),
    ("ization", "ise"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ings", ""),
    ("ing", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("edly", ""),
    ("ers", ""),
    ("er", ""),
    ("ly", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match "created", "creation" and "creates"."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith("iz"):
        word = word[:-2] + "is"
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """Stemmed words without stopwords; numbers kept as they are."""
    return [stem(t) for t in tokens(strip_markers(text)) if t not in STOPWORDS]
