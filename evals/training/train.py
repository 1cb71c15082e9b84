"""Fine-tune the reader: ``python -m evals.training.train``.

Seeded and resumable: batches are fixed by the seed, a checkpoint is written every
``--checkpoint-every`` steps, and a rerun with the same arguments continues from the last
one. Loss and held-out F1 are logged as training goes (``OUT/train.log``, one JSON object per
line). The final weights go to ``app/reader/weights/reader.safetensors``.

Budget on a 2-core CPU: about 19 windows per second in bf16 with batches grouped by length.

The shipped reader was trained in two stages: the first from the base model on the training
file alone (``--scale 0.55``, 256-token windows, no verifier); the second continued from
those weights (``--init``) with SQuAD 2.0's crowd-written unanswerable questions
(``squad20-dev-extra``, every training article twice), a replay sample of the training file,
384-token windows and the verifier head. ``MODEL_CARD.md`` beside the weights gives both
commands.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from app.reader.encoding import MAX_LENGTH, STRIDE, ReaderTokenizer
from app.reader.model import READER_WEIGHTS, new_reader, tokenizer, trained_state
from app.reader.reading import read
from evals.suite.metrics.squad import f1 as span_f1
from evals.training.data import (
    Article,
    Example,
    sample_examples,
    training_split,
)
from evals.training.features import Feature, encode
from ingest.runtime.cpu import native_bf16

SOURCES = {
    "squad11_train": 26000,
    "qamr": 4000,
    "tweetqa": 3000,
    "subjqa": 5000,
    "tydiqa_goldp_en": 4000,
    "molweni": 1500,
    "friendsqa": 1000,
}
"""Questions drawn from each source (sources not named: all of them), times ``SCALE``."""
SCALE = 0.55
"""Sized so training takes under an hour on a shared 2-core machine (37,037 windows)."""
SEED = 13
PAIRED_SHARE = 0.3
PAD_TO = 32
"""Batch widths are rounded up to a multiple of this: a few dozen tensor shapes instead of
hundreds keeps the CPU kernels' caches, and the process's memory, from growing all run."""
REPEATS = {"squad20_dev_extra": 2}
"""Sources read more than once per run: the few articles with real unanswerable questions."""


def training_examples(
    train_articles: list[Article], scale: float = SCALE, seed: int = SEED
) -> list[Example]:
    """The examples a training run with these arguments reads (the same on every run)."""
    counts = {source: round(n * scale) for source, n in SOURCES.items()}
    examples = sample_examples(train_articles, counts, PAIRED_SHARE, seed)
    repeated = [e for e in examples for _ in range(REPEATS.get(e.source, 1) - 1)]
    random.Random(seed).shuffle(repeated)
    return examples + repeated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/reader-training"))
    parser.add_argument("--weights", type=Path, default=READER_WEIGHTS)
    parser.add_argument(
        "--init", type=Path, default=None, help="Continue from these reader weights."
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--scale", type=float, default=SCALE, help="Multiply every source's count.")
    parser.add_argument("--max-length", type=int, default=MAX_LENGTH)
    parser.add_argument("--stride", type=int, default=STRIDE)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument(
        "--head-lr", type=float, default=1e-3, help="Learning rate of the verifier head."
    )
    parser.add_argument(
        "--train-layers",
        type=int,
        default=None,
        help="Train only the top N encoder layers and the heads (default: every layer).",
    )
    parser.add_argument("--warmup", type=float, default=0.05)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=400)
    parser.add_argument("--eval-size", type=int, default=300)
    parser.add_argument("--max-steps", type=int, default=None, help="Stop early (for timing).")
    args = parser.parse_args(argv)
    train(args)
    return 0


def train(args: argparse.Namespace) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import get_linear_schedule_with_warmup

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    log = _Log(args.out / "train.log")
    tok = tokenizer(args.max_length, args.stride)
    train_articles, heldout_articles = training_split()
    examples = training_examples(train_articles, args.scale, args.seed)
    features = encode(tok, examples, args.seed)
    batches = _batches(features, args.batch_size, args.seed)
    heldout = _heldout_sample(heldout_articles, args.eval_size, args.seed)
    log.write(
        event="data",
        examples=len(examples),
        unanswerable=sum(e.answer_start is None for e in examples),
        paired=sum(e.paired for e in examples),
        windows=len(features),
        batches=len(batches),
        heldout_articles=len(heldout_articles),
    )

    model = new_reader(args.init)
    if args.train_layers is not None:
        _freeze_below(model, args.train_layers)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    head = list(model.verifier.parameters())
    body = [p for p in trainable if all(p is not h for h in head)]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": args.lr}, {"params": head, "lr": args.head_lr}],
        weight_decay=0.01,
    )
    total = min(len(batches), args.max_steps or len(batches))
    schedule = get_linear_schedule_with_warmup(optimizer, int(args.warmup * total), total)
    checkpoint = args.out / "checkpoint.pt"
    step = 0
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        step = saved["step"]
        torch.set_rng_state(saved["torch_rng"])
        log.write(event="resumed", step=step)

    bf16 = native_bf16()
    started, seen, losses = time.perf_counter(), 0, []
    while step < total:
        batch = _tensors(batches[step])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        seen += len(batches[step - 1])
        losses.append(loss.item())
        if step % 20 == 0 or step == total:
            elapsed = time.perf_counter() - started
            log.write(
                event="train",
                step=step,
                of=total,
                loss=round(sum(losses) / len(losses), 4),
                windows_per_s=round(seen / elapsed, 2),
                lr=schedule.get_last_lr()[0],
            )
            losses = []
        if step % args.checkpoint_every == 0 or step == total:
            tmp = checkpoint.with_suffix(".tmp")
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step,
                    "torch_rng": torch.get_rng_state(),
                },
                tmp,
            )
            tmp.replace(checkpoint)
        if step % args.eval_every == 0 or step == total:
            log.write(event="heldout", step=step, **_evaluate(tokenizer(), model, heldout))
            model.train()
    args.weights.parent.mkdir(parents=True, exist_ok=True)
    save_file(trained_state(model), str(args.weights), metadata={"steps": str(step)})
    log.write(event="saved", weights=str(args.weights), steps=step)


def _freeze_below(model: Any, top_layers: int) -> None:
    """Freeze the embeddings and every encoder layer but the top ``top_layers``: continued
    training then costs about half as much, and the lower layers keep what they learned."""
    model.bert.embeddings.requires_grad_(False)
    layers = model.bert.encoder.layer
    for layer in layers[: len(layers) - top_layers]:
        layer.requires_grad_(False)


def _batches(features: list[Feature], size: int, seed: int) -> list[list[Feature]]:
    """Batches of similar length (little padding), in a seeded random order."""
    rng = random.Random(seed)
    order = list(features)
    rng.shuffle(order)
    mega = size * 50
    batches = []
    for first in range(0, len(order), mega):
        block = sorted(order[first : first + mega], key=lambda f: len(f.input_ids))
        batches += [block[i : i + size] for i in range(0, len(block), size)]
    rng.shuffle(batches)
    return batches


def _tensors(batch: list[Feature]) -> dict[str, Any]:
    import torch

    width = -(-max(len(f.input_ids) for f in batch) // PAD_TO) * PAD_TO
    ids = torch.zeros(len(batch), width, dtype=torch.long)
    types = torch.zeros(len(batch), width, dtype=torch.long)
    mask = torch.zeros(len(batch), width, dtype=torch.long)
    for row, f in enumerate(batch):
        n = len(f.input_ids)
        ids[row, :n] = torch.tensor(f.input_ids)
        types[row, :n] = torch.tensor(f.token_type_ids)
        mask[row, :n] = 1
    return {
        "input_ids": ids,
        "token_type_ids": types,
        "attention_mask": mask,
        "start_positions": torch.tensor([f.start for f in batch]),
        "end_positions": torch.tensor([f.end for f in batch]),
    }


def _heldout_sample(articles: list[Any], size: int, seed: int) -> list[Example]:
    """A fixed mix of held-out questions: their own paragraphs (answerable or not) and
    paired paragraphs that do not answer."""
    examples = sample_examples(articles, {}, PAIRED_SHARE, seed)
    random.Random(seed).shuffle(examples)
    return examples[:size]


def _evaluate(tok: ReaderTokenizer, model: Any, examples: list[Example]) -> dict[str, float]:
    """Held-out F1 of the best span on answerable examples, and how often the null score and
    the verifier each say "no answer" on answerable and unanswerable ones, read as citewise
    reads them."""
    from app.reader.network import TorchReader

    model.eval()
    reader = TorchReader(model)
    f1s: list[float] = []
    refused: dict[str, list[bool]] = {
        f"{by}_{kind}": [] for by in ("null", "verifier") for kind in ("answerable", "unanswerable")
    }
    for example in examples:
        (reading,) = read(tok, reader, example.question, [example.context])
        if reading is None:
            continue
        kind = "unanswerable" if example.answer_text is None else "answerable"
        refused[f"null_{kind}"].append(reading.margin < 0)
        refused[f"verifier_{kind}"].append(reading.verdict < 0)
        if example.answer_text is not None:
            predicted = example.context[reading.start : reading.end]
            f1s.append(span_f1(predicted, example.answer_text))
    figures = {"f1": round(sum(f1s) / max(1, len(f1s)), 4), "answerable": len(f1s)}
    figures["unanswerable"] = len(refused["null_unanswerable"])
    for name, verdicts in refused.items():
        figures[f"refused_{name}"] = round(sum(verdicts) / max(1, len(verdicts)), 4)
    return figures


class _Log:
    """JSON lines to a file and to stderr."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, **fields: Any) -> None:
        line = json.dumps({"time": round(time.time()), **fields})
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
