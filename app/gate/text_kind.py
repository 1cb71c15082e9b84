"""How informal the passages read: posts, reviews and chat, as against edited prose.

The reader is surer of its answers in edited prose (encyclopaedias, news, reports) than in
informal text, answerable or not: one refusal threshold refused about 1% of answerable
questions on Wikipedia and 20% on Reddit posts. So the calibration fits a threshold for each
kind of text, and this classifier says where between the two a question's passages lie. It is
a logistic regression on hashed character n-grams (punctuation, capitals, spelling carry the
register, whatever the subject), fitted on the training sources by
``python -m evals.training.calibrate`` and stored beside the reader's weights.

The n-grams are hashed exactly as scikit-learn's ``HashingVectorizer(analyzer="char_wb",
ngram_range=(2, 4), lowercase=False, n_features=2**16, alternate_sign=False)`` hashes them, the
features the shipped weights were fitted on, but with numpy and mmh3 alone: importing
scikit-learn would add more than a second to a first answer. Only fitting uses scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mmh3
import numpy as np
from numpy.typing import NDArray

from ingest.errors import SettingsError

TEXT_KIND_FILE = Path(__file__).resolve().parents[1] / "reader" / "weights" / "text_kind.npz"
N_FEATURES = 2**16
NGRAM_SIZES = range(2, 5)


def _char_wb_ngrams(text: str) -> list[str]:
    """The character n-grams of each word padded with a space either side, as scikit-learn's
    "char_wb" analyzer makes them, none longer than the padded word. (It first squeezes each
    run of white space to one space; split() treats the same characters as white space, so that
    changes nothing here.)"""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in NGRAM_SIZES:
            grams += (padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def features(text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The text's feature vector, sparse: sorted bucket indices and their l2-normalised counts.

    A bucket is abs(signed MurmurHash3 of the n-gram's UTF-8, seed 0) % N_FEATURES. For a hash
    of -2**31, where scikit-learn's int32 abs would overflow and it defines the bucket as
    (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES instead, Python's abs gives the same number.
    The n-grams are encoded here rather than by mmh3, which crashes the interpreter on a lone
    surrogate; such a character (never in text read as UTF-8) is hashed by its code point,
    where scikit-learn would raise, so no passage can stop an answer.
    """
    grams = _char_wb_ngrams(text)
    hashes = np.fromiter(
        (mmh3.hash(g.encode(errors="surrogatepass"), 0, True) for g in grams), np.int64, len(grams)
    )
    indices, counts = np.unique(np.abs(hashes) % N_FEATURES, return_counts=True)
    values = counts.astype(np.float64)
    norm = math.sqrt(values @ values)
    return indices, values / norm if norm else values


@dataclass(frozen=True)
class TextKindModel:
    """Logistic regression from hashed character n-grams to "informal"."""

    coef: Any
    bias: float

    @classmethod
    def fit(cls, texts: Sequence[str], informal: Sequence[bool]) -> TextKindModel:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression

        rows = [features(text) for text in texts]
        indptr = np.cumsum([0] + [len(indices) for indices, _ in rows])
        matrix = csr_matrix(
            (np.concatenate([v for _, v in rows]), np.concatenate([i for i, _ in rows]), indptr),
            shape=(len(rows), N_FEATURES),
        )
        model = LogisticRegression(C=1.0, max_iter=2000)
        model.fit(matrix, list(informal))
        return cls(coef=model.coef_[0].astype("float32"), bias=float(model.intercept_[0]))

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """For each text, how likely it is informal (0 to 1)."""
        logits = [
            float(self.coef[indices] @ values) + self.bias
            for indices, values in map(features, texts)
        ]
        return [1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))) for z in logits]

    def informality(self, texts: Sequence[str]) -> float:
        """How informal the texts are together: the mean of their probabilities (0 if none)."""
        found = self.probabilities([t for t in texts if t.strip()])
        return sum(found) / len(found) if found else 0.0

    def save(self, path: Path = TEXT_KIND_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez(f, coef=self.coef.astype("float16"), bias=np.array([self.bias]))

    @classmethod
    def load(cls, path: Path = TEXT_KIND_FILE) -> TextKindModel:
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
