"""Fit the abstention score and its threshold on labelled questions, and print the figures.

Questions come from the corpus' own dataset (evals/datasets/insis.jsonl, with its answerable
flag) and from a SQuAD v2.0 sample (unanswerable = is_impossible). For each, the extractive
analysis gives the signals of ``app.abstention.features``; a logistic regression on them
(both datasets weighted equally) gives the weights, and the threshold is the one that refuses
every unanswerable dataset question with at most 5% false refusals there and 10% on SQuAD,
refusing as many unanswerable SQuAD questions as those limits allow.

    python -m evals.calibrate                    # print distributions and the chosen threshold
    python -m evals.calibrate --write            # also store them in app/calibration.toml
    python -m evals.calibrate --squad-store /tmp/squad-index   # keep the SQuAD index between runs
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.abstention import CALIBRATION_FILE, FEATURES, Calibration, features
from app.engine import AnswerEngine
from evals.dataset import load_dataset
from evals.metrics import squad
from evals.metrics.answer import is_correct
from evals.squad_data import DEFAULT_SQUAD, read_squad, sample, write_articles
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT / "evals" / "datasets" / "insis.jsonl"
CORPUS = ROOT / "corpus"
MAX_FALSE_REFUSALS = {"insis": 0.05, "squad": 0.10}


@dataclass(frozen=True)
class Case:
    source: str
    answerable: bool
    correct: bool
    values: dict[str, float]


def index(paths: list[Path], store_dir: Path) -> Settings:
    """Settings on an index of ``paths`` in ``store_dir`` (synced: reused when up to date)."""
    from ingest.sync import sync_paths

    settings = Settings(store_dir=store_dir)
    sync_paths(paths, settings)
    return settings


def insis_cases(engine: AnswerEngine, dataset: Path) -> list[Case]:
    cases = []
    for item in load_dataset(dataset):
        history: list[dict[str, str]] = []
        for turn in item.earlier_turns:
            said = engine.answer(turn, history)
            history += [
                {"role": "user", "content": turn},
                {"role": "assistant", "content": said.text},
            ]
        analysis = engine.analyse(item.question, history)
        text = engine.extractive.answer(analysis).text
        correct = item.answerable and is_correct(text, item.facts)
        cases.append(Case("insis", item.answerable, correct, features(analysis)))
    return cases


def squad_cases(engine: AnswerEngine, questions: Sequence) -> list[Case]:
    cases = []
    for question in questions:
        analysis = engine.analyse(question.question)
        text = engine.extractive.answer(analysis).text
        correct = question.answerable and squad.contains_gold(text, question.answers)
        cases.append(Case("squad", question.answerable, correct, features(analysis)))
    return cases


def fit(cases: list[Case]) -> tuple[dict[str, float], float]:
    """Logistic regression weights for "answerable", each dataset given the same total weight."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[c.values[f] for f in FEATURES] for c in cases])
    y = np.array([c.answerable for c in cases])
    sources = [c.source for c in cases]
    weight = np.array([1.0 / sources.count(s) for s in sources]) * len(cases)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y, sample_weight=weight)
    weights = {f: round(float(w), 4) for f, w in zip(FEATURES, model.coef_[0], strict=True)}
    return weights, round(float(model.intercept_[0]), 4)


def score(calibration: Calibration, case: Case) -> float:
    z = calibration.bias + sum(calibration.weights[f] * case.values[f] for f in FEATURES)
    return float(1.0 / (1.0 + np.exp(-z)))


def rates(scores: list[tuple[Case, float]], threshold: float, source: str) -> tuple[float, float]:
    """(refusal rate on unanswerable, false refusal rate on answerable) of one dataset."""
    no = [s < threshold for c, s in scores if c.source == source and not c.answerable]
    has = [s < threshold for c, s in scores if c.source == source and c.answerable]
    return (sum(no) / len(no) if no else 1.0), (sum(has) / len(has) if has else 0.0)


def choose_threshold(scores: list[tuple[Case, float]]) -> float:
    """Most SQuAD refusals within the false refusal limits, all dataset unanswerables refused;
    when no threshold meets every limit, the one that breaks them least."""
    candidates = sorted({round(s, 4) for _, s in scores} | {0.5})
    sources = {c.source for c, _ in scores}

    def cost(t: float) -> tuple[float, float]:
        breach = 0.0
        for source in sources:
            refused, false = rates(scores, t, source)
            breach += max(0.0, false - MAX_FALSE_REFUSALS[source])
            if source == "insis":
                breach += 1.0 - refused
        squad_refused = rates(scores, t, "squad")[0] if "squad" in sources else 0.0
        return (round(breach, 6), -squad_refused)

    return min(candidates, key=lambda t: (cost(t), t))


def show(scores: list[tuple[Case, float]], threshold: float) -> None:
    for source in sorted({c.source for c, _ in scores}):
        for answerable in (True, False):
            values = sorted(
                s for c, s in scores if c.source == source and c.answerable == answerable
            )
            if not values:
                continue
            q = np.percentile(values, [5, 25, 50, 75, 95])
            label = "answerable" if answerable else "unanswerable"
            print(f"{source:6} {label:13} n={len(values):4}  p5/25/50/75/95 = "
                  + " ".join(f"{v:.2f}" for v in q))  # fmt: skip
        refused, false = rates(scores, threshold, source)
        wrong = [c for c, s in scores if c.source == source and c.answerable and s >= threshold]
        correct = sum(c.correct for c in wrong) / len(wrong) if wrong else 0.0
        print(f"{source:6} at threshold {threshold:.4f}: refuses {refused:.0%} of unanswerable, "
              f"{false:.0%} of answerable; answered answerable correct {correct:.0%}")  # fmt: skip


def write(calibration: Calibration, path: Path = CALIBRATION_FILE) -> None:
    lines = [
        "# Abstention calibration: written by `python -m evals.calibrate --write`; do not edit.",
        f"bias = {calibration.bias}",
        f"threshold = {calibration.threshold}",
        "",
        "[weights]",
        *(f"{name} = {calibration.weights[name]}" for name in FEATURES),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--sample", type=int, default=800, help="SQuAD questions (0 = none)")
    parser.add_argument("--store", type=Path, help="index of corpus/ (default: a temporary one)")
    parser.add_argument("--squad-store", type=Path, help="index of the SQuAD articles")
    parser.add_argument(
        "--write", action="store_true", help=f"store the result in {CALIBRATION_FILE}"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        settings = index([CORPUS], args.store or work / "insis")
        cases = insis_cases(AnswerEngine.from_settings(settings), args.dataset)
        if args.sample:
            articles, questions = read_squad(args.squad)
            paths = write_articles(articles, work / "squad-docs")
            squad_settings = index(paths, args.squad_store or work / "squad")
            engine = AnswerEngine.from_settings(squad_settings)
            cases += squad_cases(engine, sample(questions, args.sample))
    weights, bias = fit(cases)
    fitted = Calibration(weights=weights, bias=bias, threshold=0.5)
    scores = [(c, score(fitted, c)) for c in cases]
    threshold = choose_threshold(scores)
    calibration = Calibration(weights=weights, bias=bias, threshold=threshold)
    print("weights:", weights, "bias:", bias)
    show(scores, threshold)
    if args.write:
        write(calibration)
        print(f"written to {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
