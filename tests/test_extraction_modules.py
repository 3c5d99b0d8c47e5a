"""The extraction package's modules one by one: layout, quotes, resolution, sentences, parsing in pieces."""

from __future__ import annotations

import pytest

from model.extraction import extract_statements
from model.extraction.layout import article_layout, dateline_party
from model.extraction.pipeline import PARSE_CHUNK_CHARS, parse, parse_chunks
from model.extraction.quotes import attribute_quotes, find_quotes, quote_candidates
from model.extraction.resolution import institution_party, leader_party, leaders
from model.extraction.speech import speech_addressee
from model.extraction.weights import ExtractorWeights, load_weights, probability
from model.sentences import mask_abbreviations, sentence_spans


def quote_speakers(text: str) -> list[str | None]:
    return [q.speaker for q in attribute_quotes(text, find_quotes(text))]


@pytest.mark.parametrize("text, speaker", [
    ('"We will retaliate against these tariffs," said U.S. Trade Representative Clayton Yeutter.',
     "U.S. Trade Representative Clayton Yeutter"),
    ('"We will retaliate against these tariffs," said Mr. Yeutter.', "Mr. Yeutter"),
    ('"Tokyo must open its markets," U.S. officials said on Tuesday.', "U.S. officials"),
    ('"The talks were useful," Gen. Mark Milley told reporters.', "Gen. Mark Milley"),
    ('"Iran will pay a big price," Trump tweeted.', "Trump"),
    ('The Kremlin said in a statement: "Russia will respond to any provocation."', "The Kremlin"),
])
def test_quote_attribution_reads_over_abbreviation_dots(text, speaker):
    assert quote_speakers(text) == [speaker]


def test_a_lead_in_line_attributes_the_quotation_below_it():
    text = "The ministry said in its reply, in part:\n\u201cWe will not accept an ultimatum from Washington.\n"
    assert quote_speakers(text) == ["The ministry"]
    assert quote_speakers("The ministry replied.\n\u201cWe will not accept an ultimatum from Washington.\n") == [None]


def test_a_second_quotation_after_the_attribution_goes_on_in_the_same_voice():
    text = ('"The tariffs are unfair to our farmers," Smith said. "Japan has to open its markets to our goods."\n'
            '"We will retaliate," one trader said. Another, asked about Tokyo, said "prices will fall further soon."\n')
    quotes = quote_candidates(text, 0)
    assert [(text[q.start:q.start + 12], q.speaker, q.cue) for q in quotes] == [
        ("The tariffs ", "Smith", "said"), ("Japan has to", "Smith", "continued"),
        ("We will reta", "one trader", "said")]


def test_a_closing_mark_opening_a_paragraph_opens_the_quotation():
    text = "\u201cWe thank our partners.\n\u201dRussia values its ties with Brazil.\u201d\n"
    assert [text[s:e] for s, e in find_quotes(text)] == ["We thank our partners.",
                                                         "Russia values its ties with Brazil."]


def test_abbreviations_masked_in_place_and_do_not_end_sentences():
    text = "Sen. Smith met U.S. and U.K. envoys on Jan. 5. The talks failed."
    masked = mask_abbreviations(text)
    assert len(masked) == len(text) and masked.count(".") == 2
    assert [text[s:e] for s, e in sentence_spans(text)] == ["Sen. Smith met U.S. and U.K. envoys on Jan. 5.",
                                                            "The talks failed."]


@pytest.mark.parametrize("text, body, city, year", [
    ("UK MAY REVOKE LICENSES\n\nLONDON, March 27 - The British government may act.", "The British", "LONDON", None),
    ("Iran warns US\nTEHRAN, Jan 5, 2020 (Reuters) - Iran said it would respond.", "Iran said", "TEHRAN", 2020),
    ("Strike kills commander\nFriday, January 3, 2020\nBAGHDAD (AP) -- The Pentagon said it acted.", "The Pentagon",
     "BAGHDAD", 2020),
    ("Mr Putin said that the ministers met in Moscow.\nHe said more.", "Mr Putin", None, None),
])
def test_headline_and_dateline_kept_out_of_the_body(text, body, city, year):
    layout = article_layout(text)
    assert text[layout.body_start:].startswith(body)
    assert (layout.city, layout.year) == (city, year)


def test_dateline_informs_party_and_year_but_is_no_statement():
    text = ("Iran vows revenge\nTEHRAN, Jan 5, 2020 (Reuters) - A senior official said Iran would take revenge "
            "on the United States for the killing of its commander.\n")
    assert dateline_party(article_layout(text), 2020) == "Iran"
    statements = extract_statements(text, year=1987, relevance_filter=False)
    assert statements and all(s.start > text.index("(Reuters)") for s in statements)
    assert statements[0].speaker_party == "Iran" and statements[0].target_party == "United States"


def test_leader_table_is_data_with_years_and_sources():
    assert len(leaders()) > 50
    assert leader_party("Foreign Minister Sergei Lavrov", 2021) == "Russia"
    assert leader_party("Zelensky", 2022) == leader_party("Zelenskyy", 2022) == "Ukraine"
    assert leader_party("Erdoğan", 2020) == "Turkey"
    assert leader_party("Stoltenberg", 1987) == "West Germany" and leader_party("Stoltenberg", 2019) == "NATO"
    assert leader_party("Lavrov", 1987) is None
    assert leader_party("Mahmoud Abbas", 2018) == "Palestine"
    assert institution_party("the State Department", 2020) == "United States"
    assert institution_party("the Bundesbank", 1987) == "West Germany"
    assert leader_party("Finance Minister Dilson Funaro", 1987) == "Brazil"
    assert leader_party("Mulroney", 1987) == "Canada" and leader_party("Mulroney", 2010) is None


@pytest.mark.parametrize("phrase, party", [
    ("Canadian secretary of state for external affairs", "Canada"),
    ("deputy trade representative of the Soviet Union to the United States", "Soviet Union"),
    ("Japan's trade representative", "Japan"),
    ("the secretary of state", "United States"),  # unqualified: the office the table names
    ("U.S. Trade Representative", "United States"),
])
def test_an_office_other_states_have_belongs_to_the_party_that_qualifies_it(phrase, party):
    assert institution_party(phrase, 1987) == party


def test_long_articles_parsed_in_pieces_with_offsets_kept():
    para = "The minister said trade with Japan must grow. " * 40 + "\n"
    text = para * (PARSE_CHUNK_CHARS // len(para) + 3)
    pieces = parse_chunks(text)
    assert len(pieces) > 1 and "".join(pieces) == text and all(len(p) <= PARSE_CHUNK_CHARS for p in pieces)
    doc = parse(text)
    assert doc.text == text
    last = list(doc.sents)[-1]
    assert text[last.start_char:last.end_char] == last.text


def test_speech_lists_are_one_record_per_party_and_the_enemy_is_the_adversary():
    text = ("Russia launched missiles at our cities again. Russia must be stopped.\n"
            "We thank our friends from Poland, Latvia and the Netherlands for their help.\n"
            "The occupiers will be held to account for every crime.\n"
            "The weather in Kyiv is cold.\n")
    found = extract_statements(text, year=2022, speaker_party="Ukraine")
    thanks = [s.target_party for s in found if s.text.startswith("We thank")]
    assert thanks == ["Poland", "Latvia", "Netherlands"]
    occupiers = next(s for s in found if s.text.startswith("The occupiers"))
    assert occupiers.target_party == "Russia"
    assert not any(s.text.startswith("The weather") for s in found)


ADDRESS = ("**Dear Mr. Speaker!**\n"
           "**Dear members of the Althing!**\n"
           "**People of Iceland!**\n"
           "Every night Russian missiles hit our towns.\n"
           "I urge you to close your ports to Russian ships.\n"
           "I am sure you remember the long winter of our first meeting.\n")


def test_a_speech_to_a_parliament_addresses_its_party_and_greetings_are_not_statements():
    """Codebook 2 step 0: a statement "addresses" a party; the salutations say which one (invented address)."""
    found = extract_statements(ADDRESS, year=2022, speaker_party="Ukraine")
    urge = sorted(s.target_party for s in found if s.text.startswith("I urge"))
    assert urge == ["Iceland", "Russia"]
    assert not any(s.text.startswith(("**People", "People", "**Dear")) for s in found)
    assert not any(s.text.startswith("I am sure") for s in found)  # "you" alone presses nothing on them
    told = extract_statements(ADDRESS, year=2022, speaker_party="Ukraine", addressee="Norway")
    assert sorted(s.target_party for s in told if s.text.startswith("I urge")) == ["Norway", "Russia"]


@pytest.mark.parametrize("opening, title, addressee", [
    ("Dear Mr. Speaker!\nPeople of Finland!\n", "", "Finland"),
    ("Dear friends!\n", "Address of the Ukrainian President to the Knesset", "Israel"),
    ("Ladies and Gentlemen!\n", "Speech at the Donors' Conference in Warsaw", None),  # a capital as the venue
    ("Ukrainians!\n", "Address to Ukrainians on the first day of Russia's attacks", None),  # own people; a topic
    ("Mr. President,\n", "", None),  # a UN debate: the venue is no addressee
])
def test_speech_addressee_from_salutations_or_title(opening, title, addressee):
    text = opening + "We have fought for a month now. The missiles still fall every night.\n"
    assert speech_addressee(text, "Ukraine", 2022, title) == addressee


def test_speech_filter_is_fitted_and_drops_what_it_scores_low():
    """The speech filter ships in the relevance file; unfiltered records carry its inputs, and every record it
    dropped scores under its threshold."""
    weights = load_weights(ExtractorWeights.package_default().relevance)["speech"]
    text = ("Fighting in Yemen and Syria and unrest in Libya bring hardship to many families.\n"
            "We call on Israel to stop building settlements.\n")
    kept = extract_statements(text, year=2019, speaker_party="France")
    unfiltered = extract_statements(text, year=2019, speaker_party="France", relevance_filter=False)
    assert ("Israel" in {s.target_party for s in kept}) and len(unfiltered) >= len(kept)
    kept_keys = {(s.start, s.target_party) for s in kept}
    for st in unfiltered:
        if (st.start, st.target_party) not in kept_keys:
            assert probability(st.extra["features"], weights) < weights["threshold"]


def test_a_joint_subject_is_the_one_spoken_with():
    """A readout "X and Y discussed the situation in Z" is toward Y's party, not the topic country Z (invented)."""
    text = ("MOSCOW, January 8 - Libya was the main topic of the day in Moscow.\n"
            "The Kremlin said that Libya needed a lasting ceasefire and that Libya's rival governments must talk.\n"
            "In the evening Vladimir Putin and Recep Tayyip Erdogan reviewed the situation in Libya.\n")
    readout = next(s for s in extract_statements(text, year=2020) if s.text.startswith("In the evening"))
    assert (readout.speaker_party, readout.target_party) == ("Russia", "Turkey")
