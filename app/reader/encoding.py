"""How the reader sees a question and its passages: WordPiece tokens in windows.

The packaged model's own ``tokenizer.json``, read by the `tokenizers` library, so reading a
passage needs neither transformers nor torch. Training encodes its examples with the same
:class:`ReaderTokenizer`, so the model reads what it was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_LENGTH = 384
STRIDE = 128
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
"""The arrays the reader network takes, by name."""


@dataclass(frozen=True)
class Windows:
    """(question, text) pairs as windows of at most ``max_length`` tokens, a text longer than
    one window read in several that overlap by ``stride`` tokens; with the characters each
    token came from."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]
    """Each token's character span in its question or text ((0, 0) for [CLS] and [SEP])."""
    sequence_ids: list[list[int | None]]
    """Each token's part: 0 the question, 1 the text, None a special token."""
    text_index: list[int]
    """The pair each window comes from."""

    def __len__(self) -> int:
        return len(self.input_ids)

    def padded(self) -> dict[str, np.ndarray]:
        """The windows as the network's input arrays, padded to the longest (pad id 0)."""
        width = max((len(ids) for ids in self.input_ids), default=0)
        arrays = {name: np.zeros((len(self), width), dtype=np.int64) for name in INPUTS}
        for row, (ids, types) in enumerate(zip(self.input_ids, self.token_type_ids, strict=True)):
            arrays["input_ids"][row, : len(ids)] = ids
            arrays["attention_mask"][row, : len(ids)] = 1
            arrays["token_type_ids"][row, : len(types)] = types
        return arrays


class ReaderTokenizer:
    """all-MiniLM-L6-v2's tokenizer, cutting pairs into windows the one way training and
    reading share. Its settings are fixed when it is made, so threads may share it."""

    def __init__(self, path: Path, max_length: int = MAX_LENGTH, stride: int = STRIDE) -> None:
        from tokenizers import Tokenizer

        self._words = Tokenizer.from_file(str(path))
        self._words.no_truncation()
        self._words.no_padding()
        self._pairs = Tokenizer.from_file(str(path))
        self._pairs.no_padding()
        self._pairs.enable_truncation(max_length, stride=stride, strategy="only_second")

    def count(self, text: str) -> int:
        """The number of tokens of ``text`` on its own (no special tokens)."""
        return len(self._words.encode(text, add_special_tokens=False).ids)

    def first_tokens(self, text: str, limit: int) -> str:
        """``text`` up to the end of its ``limit``-th token (the whole text if shorter)."""
        offsets = self._words.encode(text, add_special_tokens=False).offsets
        return text if len(offsets) <= limit else text[: offsets[limit - 1][1]]

    def windows(self, questions: Sequence[str], texts: Sequence[str]) -> Windows:
        """Each (question, text) pair as windows, the question whole in each, in order."""
        input_ids: list[list[int]] = []
        token_type_ids: list[list[int]] = []
        offsets: list[list[tuple[int, int]]] = []
        sequence_ids: list[list[int | None]] = []
        text_index: list[int] = []
        pairs = list(zip(questions, texts, strict=True))
        for index, encoding in enumerate(self._pairs.encode_batch(pairs)):
            for window in (encoding, *encoding.overflowing):
                input_ids.append(window.ids)
                token_type_ids.append(window.type_ids)
                offsets.append(window.offsets)
                sequence_ids.append(window.sequence_ids)
                text_index.append(index)
        return Windows(input_ids, token_type_ids, offsets, sequence_ids, text_index)
