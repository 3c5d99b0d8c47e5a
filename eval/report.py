"""Report folders: metrics JSON plus a Markdown and an HTML summary (and PNGs) a person reads at a glance."""

from __future__ import annotations

import json
from pathlib import Path

from eval import plots
from eval.render import Report, interval

FIGURES = (("confusion.png", "Confusion matrix", plots.confusion_png),
           ("reliability.png", "Reliability diagram", plots.reliability_png),
           ("per_label_f1.png", "F1 per label", plots.per_label_f1_png))


def write_json(obj: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    return path


def evaluation_report(m: dict) -> Report:
    r = Report(f"Stance evaluation: {m['model_version']} on {m['data']}")
    r.paragraph(f"{m['n']} statements, backend {m['backend']}. Intervals are 95% bootstrap intervals.")
    r.heading("Summary")
    r.table(["metric", "value", "95% interval"], [
        ["accuracy", m["accuracy"], interval(m["accuracy_ci95"])],
        ["macro-F1", m["macro_f1"], interval(m["macro_f1_ci95"])],
        ["expected calibration error", m["ece"], None],
        ["Brier score", m["brier"], None],
    ])
    r.paragraph("ECE is the gap between how sure the model is and how often it is right (0 is perfect); "
                "Brier is the mean squared error of the probabilities (0 is perfect, 0.667 is a uniform guess).",
                note=True)
    r.heading("Per label")
    r.table(["label", "precision", "recall", "F1", "F1 95% interval", "support"], [
        [lab, v["precision"], v["recall"], v["f1"], interval(v["f1_ci95"]), v["support"]]
        for lab, v in m["per_label"].items()
    ])
    r.heading("Confusion (rows: gold, columns: predicted)")
    labels = m["confusion"]["labels"]
    r.table(["gold \\ predicted", *labels], [[lab, *row] for lab, row in zip(labels, m["confusion"]["rows_gold_cols_pred"])])
    r.heading("Figures")
    r.images([(name, caption) for name, caption, _ in FIGURES])
    return r


def write_evaluation_report(metrics: dict, out: Path) -> list[Path]:
    """metrics.json, report.md, report.html and the three PNGs in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [write_json(metrics, out / "metrics.json")]
    written += [draw(metrics, out / name) for name, _, draw in FIGURES]
    report = evaluation_report(metrics)
    (out / "report.md").write_text(report.markdown())
    (out / "report.html").write_text(report.html())
    return written + [out / "report.md", out / "report.html"]


def _item_rows(items: list[dict], *columns: str) -> list[list]:
    return [[it.get(c) for c in columns] for it in items]


def comparison_report(c: dict) -> Report:
    a, b = c["a"], c["b"]
    r = Report(f"Comparison: {a} (A) vs {b} (B) on {c['data']}")
    pb = c["paired_bootstrap"]
    r.paragraph(f"{c['n']} statements. Macro-F1 B - A = {pb['delta']:+.3f}, 95% interval {interval(pb['delta_ci95'])}; "
                f"B is not better in {pb['p_b_not_better']:.1%} of paired bootstrap resamples.")
    r.table(["version", "accuracy", "macro-F1", "ECE", "Brier"],
            [[f"{side.upper()}: {c[side]}", m["accuracy"], m["macro_f1"], m["ece"], m["brier"]]
             for side, m in c["metrics"].items()])
    cols = ("id", "text", "speaker", "speaker_party", "target_party", "gold")
    shown = "" if len(c["disagreements"]) <= c["top"] else f", first {c['top']} shown"
    r.heading(f"Disagreements ({len(c['disagreements'])}{shown})")
    r.table([*cols, "A", "B"], _item_rows(c["disagreements"][:c["top"]], *cols, "a", "b"))
    for side, name in (("a", a), ("b", b)):
        r.heading(f"Largest errors of {side.upper()} ({name})")
        r.table([*cols, "predicted", "p(gold)"], _item_rows(c["largest_errors"][side], *cols, "pred", "p_gold"))
    return r


def write_comparison_report(comparison: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(comparison_report(comparison).markdown())
    return [write_json(comparison, out / "compare.json"), out / "compare.md"]
