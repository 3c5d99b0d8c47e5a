"""Write a version's MODEL_CARD.md from the template and its manifest."""

from __future__ import annotations

import json
from pathlib import Path

from model.extraction.weights import FILE_NAMES
from model.registry import CARD
from model.schema import LABELS

TEMPLATE = Path(__file__).with_name("model_card.template.md")


def metrics_table(metrics: dict) -> str:
    rows = ["| split | n | macro-F1 (95% CI) | " + " | ".join(f"F1 {lab}" for lab in _labels(metrics)) + " | ECE | Brier |",
            "|---|---|---|" + "---|" * len(_labels(metrics)) + "---|---|"]
    for split, m in metrics.items():
        per = " | ".join(f"{m['per_label'][lab]['f1']:.3f}" for lab in _labels(metrics))
        rows.append(f"| {split} | {m['n']} | {m['macro_f1']:.3f} {m.get('macro_f1_ci95')} | {per} | {m['ece']:.3f} | {m['brier']:.3f} |")
    return "\n".join(rows)


def _labels(metrics: dict) -> list[str]:
    first = next(iter(metrics.values()), {"per_label": {}})
    return list(first["per_label"])


def _extractor(manifest: dict) -> str:
    found = manifest.get("extractor")
    if not found:
        return "no fitted files of its own: extraction uses the package defaults in `model/extraction/`"
    changed = ", ".join(f"`{name}`" for name in manifest.get("derived_changes", [])) or "the extractor's files"
    derived = f"; derived from version {manifest['derived_from']} with only {changed} changed" \
        if manifest.get("derived_from") else ""
    files = ", ".join(f"{part} `{name}` (sha256 {found[f'{part}_sha256']})" for part, name in FILE_NAMES.items())
    return f"{files}; extractor {found['version_at_publish']} at publish{derived}"


def write_model_card(folder: Path, manifest: dict) -> Path:
    training = manifest["training"]
    text = TEMPLATE.read_text().format(
        version=manifest.get("version", folder.name),
        codebook=manifest["codebook"],
        temperature=manifest["temperature"],
        backbone=training["backbone"],
        encoding_version=manifest["encoding_version"],
        labels=", ".join(LABELS),
        hyperparameters=json.dumps({k: v for k, v in training.items() if k not in ("backbone", "notes")}),
        onnx_default=manifest.get("onnx_default"),
        onnx_check=json.dumps(manifest.get("onnx_check")),
        sizes=json.dumps(manifest["sizes"]),
        fingerprint=json.dumps(manifest["data_fingerprint"]),
        distillation=json.dumps(manifest["distillation"]) if manifest.get("distillation") else "none",
        metrics_table=metrics_table(manifest["metrics"]),
        training_seconds=manifest["training_seconds"],
        threads=training["threads"],
        history=", ".join(f"{h['dev_macro_f1']:.3f}" for h in manifest["history"]),
        packages=json.dumps(manifest["packages"]),
        extractor=_extractor(manifest),
    )
    path = folder / CARD
    path.write_text(text)
    return path
