"""Turn an eval result (the JSON object) into a console table, report.md and report.html.

Everything is drawn from the result object alone, so a report can be rebuilt from a saved
JSON file. Plots are PNGs: files next to report.md, base64 inside report.html.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

LOWER_IS_BETTER = ("false_refusal_rate", "latency", "length_words")
Metrics = Mapping[str, float | None]


def fmt(value: float | None, key: str = "") -> str:
    if value is None:
        return "-"
    if key.endswith("_ms"):
        return f"{value:.1f}"
    if key.endswith("questions"):
        return f"{value:.0f}"
    if key.endswith("length_words"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def change(key: str, new: float | None, old: float | None) -> str:
    """Signed difference, tagged ``better``/``worse`` by the metric's direction."""
    if new is None or old is None:
        return "-"
    delta = new - old
    if abs(delta) < 1e-9:
        return "="
    worse = delta > 0 if any(word in key for word in LOWER_IS_BETTER) else delta < 0
    digits = 1 if key.endswith(("_ms", "questions", "length_words")) else 3
    if "questions" in key:
        return f"{delta:+.0f}"
    return f"{delta:+.{digits}f} ({'worse' if worse else 'better'})"


def metric_rows(metrics: Metrics, baseline: Metrics | None) -> list[tuple[str, str, str, str]]:
    rows = []
    for key, value in metrics.items():
        old = baseline.get(key) if baseline else None
        rows.append((key, fmt(value, key), fmt(old, key), change(key, value, old)))
    return rows


def summary_table(metrics: Metrics, baseline: Metrics | None = None) -> str:
    """The plain-text table printed at the end of ``citewise eval``."""
    rows = metric_rows(metrics, baseline)
    header = ("metric", "value", "baseline", "change") if baseline else ("metric", "value")
    rows_shown = [r if baseline else r[:2] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows_shown, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows_shown]
    return "\n".join(lines)


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def category_plot(by_category: Mapping[str, Mapping[str, float | None]]) -> bytes:
    """Grouped bars: each metric per question category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = list(by_category)
    names = [n for n in next(iter(by_category.values())) if n != "questions"]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(categories)), 3.6))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [c + i * width for c in range(len(categories))]
        ys = [by_category[c].get(name) for c in categories]
        ax.bar(
            [x for x, y in zip(xs, ys, strict=True) if y is not None],
            [y for y in ys if y is not None],
            width,
            label=name,
        )
    labels = [f"{c}\n({by_category[c]['questions']:.0f})" for c in categories]
    ax.set_xticks([c + 0.4 - width / 2 for c in range(len(categories))], labels, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(names))
    ax.set_title("Metrics by question category (questions)", pad=24)
    return _png(fig)


def answerability_plot(
    answerable: Sequence[float], unanswerable: Sequence[float], threshold: float | None, title: str
) -> bytes:
    """Overlaid histograms of the answerability score, with the abstention threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    values = list(answerable) + list(unanswerable) + ([threshold] if threshold is not None else [])
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    bins = [low + (high - low) * i / 30 for i in range(31)] if high > low else 10
    ax.hist(answerable, bins=bins, alpha=0.6, label=f"answerable ({len(answerable)})")
    ax.hist(unanswerable, bins=bins, alpha=0.6, label=f"unanswerable ({len(unanswerable)})")
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3g}")
    ax.set_xlabel("answerability score")
    ax.set_ylabel("questions")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _png(fig)


def _thresholds(result: Mapping[str, Any]) -> str:
    """The refusal threshold, or the two calibrated ones (edited prose, informal text)."""
    edited, informal = result.get("abstain_threshold"), result.get("abstain_threshold_informal")
    if informal is None or informal == edited:
        return fmt(edited)
    return f"{fmt(edited)} (edited prose) to {fmt(informal)} (informal text)"


def plots(result: Mapping[str, Any]) -> dict[str, bytes]:
    """Every plot of the report, by file name."""
    questions = result["questions"]
    threshold = result.get("abstain_threshold")
    out = {
        "categories.png": category_plot(result["by_category"]),
        "answerability.png": answerability_plot(
            [q["answerability"] for q in questions if q["answerable"]],
            [q["answerability"] for q in questions if not q["answerable"]],
            threshold,
            "Answerability: dataset questions",
        ),
    }
    squad = result.get("squad")
    if squad:
        out["squad-answerability.png"] = answerability_plot(
            [q["answerability"] for q in squad["questions"] if q["answerable"]],
            [q["answerability"] for q in squad["questions"] if not q["answerable"]],
            threshold,
            "Answerability: SQuAD HasAns vs NoAns",
        )
    return out


def question_rows(questions: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Per-question rows, failures first (then by id), with the checks that failed."""
    ordered = sorted(questions, key=lambda q: (not q["failed"], q["id"]))
    rows = []
    for q in ordered:
        expected = q["reference"] if q["answerable"] else "(refusal)"
        rows.append(
            {
                "id": q["id"],
                "category": q["category"],
                "question": " / ".join(q["turns"]),
                "answer": q["answer"],
                "expected": expected,
                "failed": "; ".join(q["failed"]) or "ok",
            }
        )
    return rows


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(result: Mapping[str, Any], baseline: Metrics | None, images: Sequence[str]) -> str:
    lines = [
        "# Evaluation report",
        "",
        f"Dataset `{result['dataset']}`, backend `{result['backend']}`, "
        f"abstain threshold {_thresholds(result)}.",
        "",
        "## Metrics",
        "",
        "| metric | value | baseline | change |" if baseline else "| metric | value |",
        "|---|---|---|---|" if baseline else "|---|---|",
    ]
    for row in metric_rows(result["metrics"], baseline):
        lines.append("| " + " | ".join(row if baseline else row[:2]) + " |")
    lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    lines += [
        "",
        "## Questions (failures first)",
        "",
        "| id | category | question | answer | expected | failed checks |",
        "|---|---|---|---|---|---|",
    ]
    for question in question_rows(result["questions"]):
        lines.append("| " + " | ".join(_md_cell(v) for v in question.values()) + " |")
    return "\n".join(lines) + "\n"


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 6px;
vertical-align:top;text-align:left}tr.fail td{background:#fff3f3}.worse{color:#b00}
.better{color:#070}img{max-width:100%;margin:0.5em 0}"""


def _html_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], classes: Sequence[str]
) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        f'<tr class="{c}">' + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
        for row, c in zip(rows, classes, strict=True)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def html_page(
    result: Mapping[str, Any], baseline: Metrics | None, images: Mapping[str, bytes]
) -> str:
    metric_table = metric_rows(result["metrics"], baseline)
    header = ["metric", "value", "baseline", "change"] if baseline else ["metric", "value"]
    rows = [r if baseline else r[:2] for r in metric_table]
    classes = ["worse" if "worse" in r[3] else "" for r in metric_table]
    qrows = question_rows(result["questions"])
    figures = "".join(
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{_b64(png)}">'
        for name, png in images.items()
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>citewise eval</title>"
        f"<style>{STYLE}</style></head><body><h1>Evaluation report</h1>"
        f"<p>Dataset <code>{html.escape(str(result['dataset']))}</code>, backend "
        f"<code>{html.escape(str(result['backend']))}</code>, abstain threshold "
        f"{html.escape(_thresholds(result))}.</p><h2>Metrics</h2>"
        + _html_table(header, rows, classes)
        + f"<h2>Plots</h2>{figures}<h2>Questions (failures first)</h2>"
        + _html_table(
            ["id", "category", "question", "answer", "expected", "failed checks"],
            [list(r.values()) for r in qrows],
            ["fail" if r["failed"] != "ok" else "" for r in qrows],
        )
        + "</body></html>"
    )


def write_report(result: Mapping[str, Any], folder: Path, baseline: Metrics | None = None) -> Path:
    """Write report.md (PNG files beside it) and a self-contained report.html; return the HTML."""
    folder.mkdir(parents=True, exist_ok=True)
    images = plots(result)
    for name, png in images.items():
        (folder / name).write_bytes(png)
    (folder / "report.md").write_text(markdown(result, baseline, list(images)), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(html_page(result, baseline, images), encoding="utf-8")
    return page
