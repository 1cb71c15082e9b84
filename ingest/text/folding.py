"""Folding text so that matching survives case, accents and typographic apostrophes.

"Évaluation" and "evaluation", "l’Université" and "l'universite" compare equal once folded.
Every comparison without a model (the lexical index, follow-up rewriting, the LLM support
check) folds with this one function.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-folded ``text`` without accents, with typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")
