"""Gold corpus v2: the modern corpus readers, the codebook-2 re-review, leak-free splits and the
independent agreement study, on the real corpora and the real gold files."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from conftest import REPO, run_stance
from training.agreement import study
from training.annotations import CorpusCache, load_annotations, record_problems
from training.corpora import KremlinCorpus, UAAddressesCorpus, WikinewsCorpus, corpora_root
from training.dataset import doc_key, document_texts, leakage_groups, normalised_statement, read_manifest
from training.review import apply_decision, change_counts

SEED = REPO / "data" / "annotations" / "seed-codebook-examples.jsonl"


def test_modern_corpus_readers():
    root = corpora_root()
    kremlin = KremlinCorpus(root)
    doc = kremlin.get("56690")
    assert doc.date == "2018-01-23" and doc.title == "Russia-Argentina talks" and "\n\n" not in doc.text
    assert len(kremlin.ids()) == 7147
    ua = UAAddressesCorpus(root)
    assert len(ua.ids()) == 196 and len(set(ua.ids())) == 196      # repeated upstream ids get -2
    assert ua.get("pVI0fyUCtYk").meta["speaker_party"] == "Ukraine"
    wiki = WikinewsCorpus(root)
    art = wiki.get("Catalonia_apartment_block_fire_kills_three,_injures_sixteen")
    assert art.date == "2019-01-07" and art.text.split("\n", 1)[0] == "Monday, January 7, 2019"  # the dateline line
    assert "\u00a0" not in art.text and "\n\n" not in art.text and len(wiki.ids()) == 295


def test_gold_splits_have_no_leakage():
    """Near-duplicate documents and repeated statement texts never straddle two splits (stored manifest)."""
    cache = CorpusCache()
    records = load_annotations(corpora=cache)
    manifest = read_manifest()
    assert all(doc_key(r) in manifest for r in records), "run `stance data split`"
    for group in leakage_groups(records, document_texts(records, cache)):
        assert len({manifest[d] for d in group if d in manifest}) == 1, sorted(group)
    splits_of = defaultdict(set)
    for r in records:
        splits_of[normalised_statement(r["text"])].add(manifest[doc_key(r)])
    leaking = [t for t, s in splits_of.items() if len(s) > 1]
    assert not leaking, leaking[:3]


def test_reserved_summit_documents_stay_out_of_the_gold():
    """The workbench's new-summit review needs documents no model has seen (data/reserved_documents.jsonl)."""
    reserved = {(r["corpus"], str(r["doc_id"])) for r in map(json.loads, (REPO / "data" / "reserved_documents.jsonl").open())}
    assert len(reserved) >= 8
    listed = {(r["corpus"], str(r["doc_id"])) for r in map(json.loads, (REPO / "data" / "annotated_documents.jsonl").open())}
    assert not reserved & listed


def test_rereview_keeps_v1_values_and_counts_changes():
    v1 = [json.loads(line) for line in SEED.read_text().splitlines()][:3]
    keep = apply_decision(v1[0], {"action": "keep", "rule": "none", "label": v1[0]["label"],
                                  "target_party": v1[0]["target_party"], "speaker_party": v1[0]["speaker_party"],
                                  "hard": v1[0]["hard"]})
    assert len(keep) == 1 and "v2_rule" not in keep[0] and keep[0]["v1"]["label"] == v1[0]["label"]
    assert keep[0]["codebook"] == 2
    relabel = apply_decision(v1[1], {"action": "keep", "rule": "forecast", "label": "cooperative",
                                     "target_party": "EU", "speaker_party": v1[1]["speaker_party"],
                                     "extra_targets": ["Italy", {"party": "Germany", "label": "confrontational"}]})
    assert [r["target_party"] for r in relabel] == ["European Union", "Italy", "Germany"]   # aliases canonicalised
    assert relabel[1]["v1"] is None and relabel[2]["label"] == "confrontational"
    dropped = apply_decision(v1[2], {"action": "drop", "rule": "step0-venue"})
    assert dropped == []
    counts = change_counts(keep + relabel, [{**v1[2], "v2_rule": "step0-venue"}])
    assert counts["v1_records_kept_or_dropped"] == 3
    assert counts["rules"]["step0-venue"] == {"dropped": 1}
    assert counts["rules"]["several-targets"] == {"added": 2}
    assert counts["rules"]["forecast"] == {"relabelled": 1}
    assert counts["relabel_matrix"] == {"conditional -> cooperative": 1}


def test_agreement_study_by_hand():
    def rec(doc, s, e, target, label, speaker="China"):
        return {"corpus": "c", "doc_id": doc, "start": s, "end": e, "speaker_party": speaker,
                "target_party": target, "label": label}

    first = [rec("d1", 0, 100, "Japan", "conditional"), rec("d1", 0, 100, "Korea", "conditional"),
             rec("d1", 200, 300, "Japan", "cooperative"), rec("d2", 0, 50, "Japan", "confrontational")]
    second = [rec("d1", 10, 100, "Japan", "conditional"),                 # same span, one target of two
              rec("d1", 200, 290, "Japan", "confrontational"),            # label differs
              rec("d1", 500, 600, "Japan", "cooperative"),                # only the second marked it
              rec("d2", 0, 50, "Japan", "confrontational", speaker="")]   # speaker party differs
    report = study(first, second, [("c", "d1"), ("c", "d2")])["corpora"]["all"]
    assert (report["spans_first"], report["spans_second"], report["matched"]) == (3, 4, 3)
    assert report["span_f1"] == pytest.approx(6 / 7, abs=1e-4)
    assert report["speaker_party_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["target_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["label_pairs"] == 3 and report["label_agreement"] == pytest.approx(2 / 3, abs=1e-4)


def test_check_refuses_unknown_party_and_accepts_one_record_per_target(tmp_path):
    rec = json.loads(SEED.read_text().splitlines()[3])
    two = [rec, {**rec, "target_party": "Italy"}]
    assert not record_problems(two[1])
    batch = tmp_path / "two-targets.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in two))
    assert "ok" in run_stance("annotate", "check", str(batch)).stdout
    batch.write_text(json.dumps({**rec, "target_party": "Frobnia"}) + "\n")
    proc = run_stance("annotate", "check", str(batch), check=False)
    assert proc.returncode == 1 and "'Frobnia' is not a known party" in proc.stdout
    assert "write 'European Union'" in " ".join(record_problems({**rec, "target_party": "EU"}))

