"""Corpus readers, standoff annotations, frozen splits and the annotate commands, on real documents."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import REPO, run_stance
from model.schema import LABELS
from training.annotate import cohen_kappa
from training.annotations import AnnotationError, CorpusCache, load_annotations, locate_quote, span_hash
from training.corpora import (FolderCorpus, ReutersCorpus, UNGDCorpus, corpora_root, open_corpus, reflow_pdf_lines,
                              reflow_reuters_body)
from training.dataset import doc_key, read_manifest, split_records


def test_reuters_reader_rebuilds_clean_text():
    doc = ReutersCorpus(corpora_root()).get("14826")
    assert doc.title.isupper() and doc.text.startswith(doc.title + "\n\nHONG KONG, April 8 - ")
    assert "usa" in doc.places and "japan" in doc.places and doc.date.startswith("8-APR-1987")
    assert "&lt;" not in doc.text and "&#" not in doc.text and not doc.text.rstrip().endswith("Reuter")
    body = doc.text.split("\n\n", 1)[1]
    assert all(len(p) > 70 or p.rstrip().endswith((".", '"', ":")) for p in body.split("\n"))  # wraps joined


def test_reflow_joins_wire_wraps_and_pdf_breaks():
    wire = "Trade talks\nresumed today, officials\nsaid.\n    A new paragraph\nstarts here.\n Reuter\n"
    assert reflow_reuters_body(wire) == "Trade talks resumed today, officials said.\nA new paragraph starts here."
    pdf = "We stand with our\npartners. A\n \npeople-first policy.\nNext paragraph."
    assert reflow_pdf_lines(pdf) == "We stand with our partners. A people-first policy.\nNext paragraph."


def test_ungd_reader_names_the_speaking_country():
    corpus = UNGDCorpus(corpora_root())
    assert corpus.get("EU_78_2023").meta["speaker_party"] == "European Union"
    assert corpus.get("CHN_73_2018").meta == {"iso3": "CHN", "session": 73, "speaker_party": "China"}


def test_corpora_root_is_configurable(tmp_path, monkeypatch):
    folder = tmp_path / "corpora" / "new-summit"
    folder.mkdir(parents=True)
    (folder / "a1.txt").write_text("BRUSSELS, May 2 - The EU said China must open its market.\n")
    monkeypatch.setenv("STANCE_CORPORA", str(tmp_path / "corpora"))
    assert corpora_root() == tmp_path / "corpora"
    corpus = open_corpus("new-summit")
    assert isinstance(corpus, FolderCorpus) and corpus.get("a1").text.startswith("BRUSSELS")
    with pytest.raises(FileNotFoundError, match="unknown corpus"):
        open_corpus("no-such-corpus")


def test_annotations_rebuild_text_and_refuse_moved_offsets(tmp_path):
    good = REPO / "data" / "annotations" / "seed-codebook-examples.jsonl"
    records = load_annotations([good])
    seed_text = (corpora_root().parent / "seed" / "eu-china-summit-2023.txt").read_text(encoding="utf-8")
    assert records[0]["text"] == " ".join(seed_text[records[0]["start"]:records[0]["end"]].split())
    lines = good.read_text().splitlines()
    bad = json.loads(lines[2])
    bad["start"] += 5
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([lines[0], lines[1], json.dumps(bad)]) + "\n")
    with pytest.raises(AnnotationError, match=r"batch.jsonl:3: .*no longer matches its hash"):
        load_annotations([path])
    bad["end"] = 10**7
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(AnnotationError, match="run past the end"):
        load_annotations([path])
    path.write_text("{not json\n")
    with pytest.raises(AnnotationError, match=r"batch.jsonl:1: not valid JSON"):
        load_annotations([path])


def test_locate_quote_tolerates_quote_style_and_spacing():
    text = "He said: \u201cWe will  not\ntolerate it,\u201d adding more."
    start, end = locate_quote(text, '"We will not tolerate it,"')
    assert text[start:end] == "We will  not\ntolerate it,"
    assert locate_quote(text, "absent words") is None


def test_splits_are_by_document_and_frozen(tmp_path):
    records = load_annotations()
    manifest = tmp_path / "splits.json"
    shutil.copy(REPO / "data" / "splits.json", manifest)
    frozen = read_manifest(manifest)
    splits = split_records(records, manifest)
    docs = {name: {doc_key(r) for r in recs} for name, recs in splits.items()}
    assert not (docs["train"] & docs["test"]) and not (docs["dev"] & docs["test"]) and not (docs["train"] & docs["dev"])
    for name, recs in splits.items():
        assert all(frozen.get(doc_key(r), name) == name for r in recs)
    # A new document never moves an existing test item.
    new = dict(records[0], doc_id="99999", corpus="reuters21578", label="conditional")
    again = split_records(records + [new], manifest, update=True)
    assert {doc_key(r) for r in again["test"]} >= docs["test"]
    assert read_manifest(manifest)["reuters21578/99999"] in ("train", "dev", "test")
    assert all(read_manifest(manifest)[k] == v for k, v in frozen.items())


def test_annotate_new_check_add_and_agreement(tmp_path, seed_article):
    batch = tmp_path / "batch.jsonl"
    run_stance("annotate", "new", "--corpus", "seed", "--docs", "eu-china-summit-2023", "-o", str(batch))
    candidates = [json.loads(line) for line in batch.read_text().splitlines()]
    assert len(candidates) >= 20 and all(c["label"] is None for c in candidates)
    assert all(c["statement"] and "context_before" in c and c["title"] is not None for c in candidates)
    # Unfilled: check names every line.
    proc = run_stance("annotate", "check", str(batch), check=False)
    assert proc.returncode == 1 and f"{batch}:1: label None is not one of" in proc.stdout
    # Filled by a person (here: the codebook's worked examples where they overlap, others by hand below).
    gold = {(r["start"], r["end"]): r["label"] for r in load_annotations([REPO / "data/annotations/seed-codebook-examples.jsonl"])}
    filled = []
    for c in candidates:
        label = next((lab for (s, e), lab in gold.items() if min(e, c["end"]) - max(s, c["start"]) > 0), "cooperative")
        filled.append({**c, "label": label, "annotator": "t1"})
    batch.write_text("".join(json.dumps(c) + "\n" for c in filled))
    assert "ok" in run_stance("annotate", "check", str(batch)).stdout
    folder = tmp_path / "annotations"
    folder.mkdir()
    from training.annotate import add_batch

    dest = add_batch(batch, "seed-test", CorpusCache(), folder)
    filed = [json.loads(line) for line in dest.read_text().splitlines()]
    assert "statement" not in filed[0] and "context_before" not in filed[0]       # no corpus text filed
    with pytest.raises(AnnotationError, match="already annotated"):
        add_batch(batch, "seed-test-again", CorpusCache(), folder)
    # Agreement against a second annotator who changed two labels.
    second = [dict(r, label=LABELS[(LABELS.index(r["label"]) + 1) % 3]) if i < 2 else r for i, r in enumerate(filed)]
    other = tmp_path / "b.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in second))
    out = run_stance("annotate", "agreement", str(dest), str(other)).stdout
    a = [r["label"] for r in filed]
    b = [r["label"] for r in second]
    assert f"kappa={cohen_kappa(a, b):.3f}" in out and f"n={len(filed)}" in out


def test_cohen_kappa_by_hand():
    a = ["cooperative"] * 5 + ["conditional"] * 5
    b = ["cooperative"] * 4 + ["conditional"] * 6
    # observed 0.9; expected (5*4 + 5*6)/100 = 0.5; kappa = 0.4/0.5
    assert cohen_kappa(a, b) == pytest.approx(0.8)


def test_data_stats_reports_gold_v2_counts(tmp_path):
    """The corpus issue's targets, on the real gold: codebook 2, size, labels, modern sources, agreement."""
    stats = json.loads(run_stance("data", "stats", "--json").stdout)
    assert stats["codebook"] == 2
    assert stats["statements"] == sum(stats["labels"].values()) >= 10_000
    assert stats["labels"]["conditional"] >= 2_000 and stats["labels"]["confrontational"] >= 2_500
    assert stats["new_statements_2000_2023"] >= 6_000
    assert stats["corpora"]["kremlin_en"]["statements"] >= 1_500
    assert set(stats["splits"]) == {"train", "dev", "test"}
    assert stats["changes_v1_to_v2"]["v1_records_kept_or_dropped"] == 3994      # every v1 record re-reviewed
    study = stats["agreement_study"]
    assert study["all"]["documents"] >= 24 and study["all"]["kappa"] is not None
    card = tmp_path / "card.md"
    run_stance("data", "card", "-o", str(card))
    text = card.read_text()
    assert "CC BY 4.0" in text and "Wikinews" in text and "step0-market" in text and "span F1" in text


def test_span_hash_ignores_whitespace_only():
    assert span_hash("a  b\nc") == span_hash("a b c") != span_hash("a b d")
