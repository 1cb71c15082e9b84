"""What a reader network gives for a batch of windows, whichever runtime computes it."""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np


class Logits(NamedTuple):
    """The reader's scores for a batch of windows, float32."""

    start: np.ndarray
    """(windows, tokens): each token's score as the answer's first."""
    end: np.ndarray
    """(windows, tokens): each token's score as the answer's last."""
    verdict: np.ndarray
    """(windows,): above zero, the verifier believes the window holds the answer."""


class ReaderModel(Protocol):
    """The trained reader network on one runtime (torch or ONNX Runtime)."""

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray
    ) -> Logits:
        """The logits of windows given as int64 arrays of shape (windows, tokens)."""
        ...
