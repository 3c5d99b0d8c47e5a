"""Extraction on real text: the seed article's worked examples, a real UN speech, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, run_stance
from model.extraction import extract_statements
from model.extraction.weights import ExtractorWeights
from model.matching import match_spans
from training.annotations import load_annotations
from training.corpora import UNGDCorpus, corpora_root

SEED_GOLD = REPO / "data" / "annotations" / "seed-codebook-examples.jsonl"


def overlapping(statements, start: int, end: int):
    return [s for s in statements if min(s.end, end) - max(s.start, start) > 0]


def test_seed_article_worked_examples_found_with_their_parties(seed_article):
    """All 20 statements of the codebook's worked examples, with the parties shown there."""
    statements = extract_statements(seed_article.read_text(encoding="utf-8"), year=2023)
    gold = load_annotations([SEED_GOLD])
    assert len(gold) == 20
    misses = []
    for g in gold:
        found = overlapping(statements, g["start"], g["end"])
        if not found or (found[0].speaker_party, found[0].target_party) != (g["speaker_party"], g["target_party"]):
            misses.append((g["speaker"], g["text"][:60], [(s.speaker, s.speaker_party, s.target_party) for s in found]))
    assert not misses, misses


def test_seed_speakers_resolved_from_pronouns_and_surnames(seed_article):
    text = seed_article.read_text(encoding="utf-8")
    statements = extract_statements(text, year=2023)
    by_start = {s.text[:30]: s for s in statements}
    she = next(s for s in statements if s.text.startswith("Politically, European leaders"))
    assert she.speaker == "Ursula von der Leyen" and she.kind == "direct"   # "she said"
    xi = next(s for s in statements if s.text.startswith("China is ready"))
    assert xi.speaker == "Xi Jinping"                                        # bare "Xi"
    # attribution, before the filter: the seed article's gold has only the first of Barkin's three quotes
    barkin = [s for s in extract_statements(text, year=2023, relevance_filter=False) if s.speaker == "Noah Barkin"]
    assert barkin and all(s.speaker_party == "" for s in barkin)             # analyst: third party
    assert any(s.cue == "continued" for s in barkin)                         # quote after quote, same speaker
    assert by_start and all(s.speaker_party != s.target_party for s in statements)
    for s in statements:
        assert text[s.start:s.end] == s.text and s.sentence


def test_speech_mode_on_a_real_un_speech():
    doc = UNGDCorpus(corpora_root()).get("EU_78_2023")
    statements = extract_statements(doc.text, year=2023, speaker_party="European Union")
    assert len(statements) >= 10
    for s in statements:
        assert s.speaker_party == "European Union" and s.target_party not in ("European Union", "United Nations")
        assert doc.text[s.start:s.end] == s.text
    assert any(s.target_party in ("Russia", "Ukraine") for s in statements)


def test_speech_mode_from_the_command_line_with_and_without_an_addressee(tmp_path: Path):
    """An invented address to a parliament: the salutations name the addressee; --addressee overrides them."""
    path = tmp_path / "address.txt"
    path.write_text("Dear members of the Storting!\nPeople of Norway!\n"
                    "I ask you to close your ports to Russian ships.\n", encoding="utf-8")

    def targets(*extra: str) -> list[str]:
        lines = run_stance("extract", str(path), "--speaker-party", "Ukraine", "--year", "2022", *extra).stdout
        return sorted(json.loads(line)["target_party"] for line in lines.strip().splitlines())

    assert targets() == ["Norway", "Russia"]
    assert targets("--addressee", "Denmark") == ["Denmark", "Russia"]
    alone = run_stance("extract", str(path), "--addressee", "Denmark", check=False)
    assert alone.returncode != 0 and "speaker's party as well" in alone.stderr


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "is empty"),
    (b"\x00\x01\x02binary", "looks binary"),
    (b"caf\xe9 au lait said the minister", "not UTF-8"),
])
def test_bad_article_files_get_one_clear_line(tmp_path: Path, content, message):
    path = tmp_path / "article.txt"
    if content is not None:
        path.write_bytes(content)
    proc = run_stance("extract", str(path), check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_oversized_article_refused(tmp_path: Path):
    path = tmp_path / "huge.txt"
    path.write_text("The minister said trade with Japan must grow. " * 200_000)
    proc = run_stance("extract", str(path), check=False)
    assert proc.returncode != 0 and "limit" in proc.stderr and "Traceback" not in proc.stderr


def test_extract_cli_table_and_jsonl(seed_article):
    table = run_stance("extract", str(seed_article), "--format", "table", "--year", "2023").stdout
    assert "Charles Michel" in table and "European Union -> China" in table
    lines = run_stance("extract", str(seed_article)).stdout.strip().splitlines()
    import json

    rec = json.loads(lines[0])
    assert {"text", "start", "end", "kind", "speaker", "speaker_party", "target_party", "cue", "sentence"} <= set(rec)


def test_relevance_filter_is_fitted_and_applied(seed_article):
    from model.extraction.relevance import WEIGHTS_FILE
    from model.extraction.weights import load_weights, probability

    weights = load_weights(WEIGHTS_FILE)
    assert weights and 0 < weights["threshold"] < 1 and weights["report"]["test"]["precision"] > 0
    text = seed_article.read_text(encoding="utf-8")
    unfiltered = extract_statements(text, year=2023, relevance_filter=False)
    kept = extract_statements(text, year=2023)
    assert {(s.start, s.end) for s in kept} <= {(s.start, s.end) for s in unfiltered}
    for st in unfiltered:
        if (st.start, st.end) not in {(s.start, s.end) for s in kept}:
            assert probability(st.extra["features"], weights) < weights["threshold"]


def test_refit_filter_keeps_every_worked_example(tmp_path, seed_article):
    """The codebook's worked examples bind the fit: a quick fit reads the seed article and keeps all 20."""
    out = tmp_path / "relevance.json"
    report = json.loads(run_stance("extractor", "fit", "--limit", "25", "--out", str(out)).stdout)
    assert set(report) >= {"dev", "test", "candidates"} and json.loads(out.read_text())["weights"]
    assert report["worked_examples"] == {"gold": 20, "found": 20, "kept": 20}
    assert set(report["speech"]) >= {"dev", "test", "candidates"} and json.loads(out.read_text())["speech"]["weights"]
    refit = ExtractorWeights.in_folder(tmp_path, [out.name])
    statements = extract_statements(seed_article.read_text(encoding="utf-8"), year=2023, weights=refit)
    spans = [(s.start, s.end) for s in statements]
    gold = [(g["start"], g["end"]) for g in load_annotations([SEED_GOLD])]
    assert len(match_spans(gold, spans)) == len(gold) == 20


PATTERNS = (
    "TOKYO, April 8 - Japan's Trade Minister Hajime Tamura met U.S. officials on Monday.\n"
    '"We will not accept these tariffs," Tamura said, "and Washington must withdraw them before April 17."\n'
    "Beijing warned Washington that it would retaliate against any new restrictions on Chinese textiles.\n"
    "According to Italian government sources, Rome will leave the Belt and Road Initiative next year.\n"
    "Tamura told a meeting of exporters that the United States was acting unfairly toward Japan.\n"
    '"The dispute must be settled by talks.\n'
    '"Japan is ready to open its markets further," he said.\n'
)


def test_attribution_patterns_on_a_small_article():
    """Mid-quote attribution, a quotation over two paragraphs, institutional and 'according to' speakers."""
    found = {s.text: s for s in extract_statements(PATTERNS, year=1987, relevance_filter=False)}
    first = found["We will not accept these tariffs"]
    second = found["and Washington must withdraw them before April 17"]
    assert first.speaker == second.speaker == "Hajime Tamura" and first.speaker_party == "Japan"
    assert first.target_party == "United States" and first.kind == "direct"
    beijing = next(s for s in found.values() if s.speaker == "Beijing")
    assert beijing.speaker_party == "China" and beijing.target_party == "United States"
    rome = next(s for s in found.values() if s.cue == "according to")
    assert rome.speaker_party == "Italy" and rome.text.startswith("Rome will leave")
    told = next(s for s in found.values() if s.text.startswith("the United States was acting unfairly"))
    assert told.speaker == "Hajime Tamura" and told.target_party == "United States"
    quoted = [s for s in found.values() if s.kind == "direct" and s.speaker == "Hajime Tamura"]
    assert any(s.text.startswith("The dispute must be settled") for s in quoted)      # opened, not closed
    assert any(s.text.startswith("Japan is ready to open") for s in quoted)           # "he said"
