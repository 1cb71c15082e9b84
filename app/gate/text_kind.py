"""How informal the passages read: posts, reviews and chat, as against edited prose.

The reader is surer of its answers in edited prose (encyclopaedias, news, reports) than in
informal text, answerable or not: one refusal threshold refused about 1% of answerable
questions on Wikipedia and 20% on Reddit posts. So the calibration fits a threshold for each
kind of text, and this classifier says where between the two a question's passages lie. It is
a logistic regression on hashed character n-grams (punctuation, capitals, spelling carry the
register, whatever the subject), fitted on the training sources by
``python -m evals.training.calibrate`` and stored beside the reader's weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import SettingsError

TEXT_KIND_FILE = Path(__file__).resolve().parents[1] / "reader" / "weights" / "text_kind.npz"
N_FEATURES = 2**16


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        lowercase=False,
        n_features=N_FEATURES,
        alternate_sign=False,
    )


@dataclass(frozen=True)
class TextKindModel:
    """Logistic regression from hashed character n-grams to "informal"."""

    coef: Any
    bias: float

    @classmethod
    def fit(cls, texts: Sequence[str], informal: Sequence[bool]) -> TextKindModel:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(_vectorizer().transform(texts), list(informal))
        return cls(coef=model.coef_[0].astype("float32"), bias=float(model.intercept_[0]))

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """For each text, how likely it is informal (0 to 1)."""
        if not texts:
            return []
        logits = _vectorizer().transform(texts) @ self.coef + self.bias
        return [1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, float(z))))) for z in logits]

    def informality(self, texts: Sequence[str]) -> float:
        """How informal the texts are together: the mean of their probabilities (0 if none)."""
        found = self.probabilities([t for t in texts if t.strip()])
        return sum(found) / len(found) if found else 0.0

    def save(self, path: Path = TEXT_KIND_FILE) -> None:
        import numpy as np

        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez(f, coef=self.coef.astype("float16"), bias=np.array([self.bias]))

    @classmethod
    def load(cls, path: Path = TEXT_KIND_FILE) -> TextKindModel:
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                coef = data["coef"].astype("float32")
                bias = float(data["bias"][0])
        except (OSError, ValueError, KeyError) as exc:
            raise SettingsError(
                f"Cannot read the text-kind model {path}: {exc}",
                "re-create it with 'python -m evals.training.calibrate'",
            ) from None
        if coef.shape != (N_FEATURES,):
            raise SettingsError(
                f"The text-kind model {path} has {coef.shape[0]} weights, not {N_FEATURES}",
                "re-create it with 'python -m evals.training.calibrate'",
            )
        return cls(coef=coef, bias=bias)
