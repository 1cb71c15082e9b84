"""The reader network: a BERT encoder with two heads on one forward pass.

The span head scores each token as the answer's start and end (SQuAD-style, [CLS] for "no
answer"). The verifier head reads the [CLS] vector and says whether this window holds an
answer at all: answerability learned as a decision of its own (the "sketchy reading" verifier
of Retro-Reader), trained on SQuAD 2.0's crowd-written unanswerable questions, rather than
read off the span head's null score alone.

Kept apart from :mod:`app.reader.model` so that importing the reader's API does not import
torch; this module is imported only when a model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from app.reader.logits import Logits
from ingest.runtime.cpu import native_bf16


@dataclass
class ReaderOutput:
    start_logits: torch.Tensor
    end_logits: torch.Tensor
    verdict_logits: torch.Tensor
    """One logit per window: above zero, the verifier believes the window holds the answer."""
    loss: torch.Tensor | None = None


class ReaderNetwork(nn.Module):
    """Encoder, span head and verifier head. Parameter names match Hugging Face's
    ``BertForQuestionAnswering`` (``bert.*``, ``qa_outputs.*``) plus ``verifier.*``."""

    def __init__(self, bert: nn.Module, qa_outputs: nn.Linear) -> None:
        super().__init__()
        self.bert = bert
        self.qa_outputs = qa_outputs
        self.verifier = nn.Linear(qa_outputs.in_features, 1)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        verifier_weight: float = 1.0,
    ) -> ReaderOutput:
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        start_logits, end_logits = self.qa_outputs(hidden).split(1, dim=-1)
        start_logits = start_logits.squeeze(-1)
        end_logits = end_logits.squeeze(-1)
        verdict_logits = self.verifier(hidden[:, 0]).squeeze(-1)
        loss = None
        if start_positions is not None and end_positions is not None:
            span = nn.functional.cross_entropy(start_logits.float(), start_positions)
            span = (span + nn.functional.cross_entropy(end_logits.float(), end_positions)) / 2
            holds = (start_positions > 0).float()
            verdict = nn.functional.binary_cross_entropy_with_logits(verdict_logits.float(), holds)
            loss = span + verifier_weight * verdict
        return ReaderOutput(start_logits, end_logits, verdict_logits, loss)


class TorchReader:
    """A reader network called as a :class:`app.reader.logits.ReaderModel`: numpy in and out,
    without gradients, in bfloat16 where the CPU computes it natively."""

    def __init__(self, network: ReaderNetwork) -> None:
        self.network = network

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray
    ) -> Logits:
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bf16()),
        ):
            output = self.network(
                input_ids=torch.from_numpy(input_ids),
                attention_mask=torch.from_numpy(attention_mask),
                token_type_ids=torch.from_numpy(token_type_ids),
            )
        scores = (output.start_logits, output.end_logits, output.verdict_logits)
        return Logits(*(t.float().numpy() for t in scores))
