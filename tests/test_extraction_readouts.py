"""Press statements under speaker headings, meeting readouts, and the target they are toward."""

from __future__ import annotations

from model.extraction import extract_statements
from model.extraction.resolution import publisher_party
from model.extraction.transcripts import is_heading, transcript_turns

TRANSCRIPT = (
    "President of Russia Vladimir Putin: Mr Prime Minister, ladies and gentlemen,\n"
    "Today we had very substantive and constructive talks with our Hungarian partners in Moscow.\n"
    "We exchanged views on the situation in Ukraine and on our cooperation in the energy sector.\n"
    "Prime Minister of Hungary Viktor Orban (retranslated): Good afternoon, Mr President.\n"
    "Hungary highly appreciates its reliable relations with Russia and wants to expand them.\n"
    "Question: Will Hungary buy more gas from Russia next year, and at what price?\n"
    "Publication date: September 18, 2018, 15:00\n"
)
READOUT = (
    "Vladimir Putin had a telephone conversation with Prime Minister of Israel Benjamin Netanyahu.\n"
    "The leaders discussed the situation in Syria and the fight against international terrorism.\n"
    "Mr Putin and Mr Netanyahu agreed to hold regular consultations on water, farming and cyber security.\n"
)


def test_headings_are_names_and_titles_not_sentences():
    assert is_heading("President of Russia Vladimir Putin") and is_heading("Question")
    assert not is_heading("There are many such areas") and not is_heading("Publication date")


def test_each_paragraph_of_a_turn_is_spoken_by_its_heading():
    turns = transcript_turns(TRANSCRIPT)
    speakers = [t.speaker for t in turns]
    assert speakers == ["President of Russia Vladimir Putin"] * 3 + ["Prime Minister of Hungary Viktor Orban"] + [
        "Question"]
    assert TRANSCRIPT[turns[0].start:].startswith("Mr Prime Minister")


def test_transcript_statements_toward_the_other_side_of_the_talks():
    found = extract_statements(TRANSCRIPT, year=2018, relevance_filter=False)
    by_text = {s.text[:20]: s for s in found}
    ukraine = by_text["We exchanged views o"]
    assert (ukraine.speaker_party, ukraine.target_party, ukraine.cue) == ("Russia", "Hungary", "transcript")
    orban = by_text["Hungary highly appre"]
    assert (orban.speaker_party, orban.target_party) == ("Hungary", "Russia")
    assert not any(s.text.startswith("Will Hungary") for s in found)        # a questioner is no party
    assert not any("Publication date" in s.text for s in found)


def test_readout_sentences_reported_through_the_host():
    found = extract_statements(READOUT, year=2020, relevance_filter=False)
    leaders = next(s for s in found if s.text.startswith("The leaders discussed"))
    assert (leaders.speaker_party, leaders.target_party, leaders.cue) == ("Russia", "Israel", "readout")
    agreed = next(s for s in found if s.text.startswith("Mr Putin and Mr Netanyahu agreed"))
    assert agreed.speaker_party == "Russia" and agreed.target_party == "Israel"


def test_a_governments_own_readout_speaks_for_it():
    """Without a named host, "the presidents" of a readout on kremlin.ru are Russia's account."""
    text = ("The presidents discussed countering the spread of the coronavirus infection. In this context, "
            "Hassan Rouhani thanked Russia for its assistance to Iran.\n")
    found = extract_statements(text, year=2020, relevance_filter=False,
                               source="http://en.kremlin.ru/events/president/news/63236")
    presidents = next(s for s in found if s.text.startswith("The presidents"))
    assert (presidents.speaker_party, presidents.target_party) == ("Russia", "Iran")
    assert publisher_party("https://www.state.gov/briefings/") == "United States"
    assert publisher_party("https://example.com/kremlin.ru") is None


def test_a_message_and_a_passive_readout_on_a_governments_site_speak_for_it():
    text = ("Vladimir Putin sent a message of greetings to President of Brazil Luiz Inacio Lula da Silva.\n"
            "The message said, in part:\n"
            "\u201cWe are committed to an active dialogue with Brazil on the whole range of issues.\n"
            "\u201cI am sure that our cooperation with Brazil will keep growing in the years ahead.\u201d\n"
            "Issues of cooperation between Russia and Brazil in the energy sector were also discussed.\n")
    found = extract_statements(text, year=2004, relevance_filter=False,
                               source="http://en.kremlin.ru/events/president/news/1")
    for starts in ("We are committed", "I am sure that", "Issues of cooperation"):
        st = next(s for s in found if s.text.startswith(starts))
        assert (st.speaker_party, st.target_party) == ("Russia", "Brazil")
    elsewhere = extract_statements(text, year=2004, relevance_filter=False)
    # a passive readout is reported through the publishing government only
    assert not any(s.text.startswith("Issues of cooperation") for s in elsewhere)


def test_an_opening_they_of_a_readout_is_its_publisher_only_on_its_site():
    text = "They discussed the development of trade and energy cooperation between Russia and Kazakhstan.\n"
    kremlin = extract_statements(text, year=2003, relevance_filter=False, source="http://en.kremlin.ru/d/1")
    assert [(s.speaker_party, s.target_party) for s in kremlin] == [("Russia", "Kazakhstan")]
    assert extract_statements(text, year=2003, relevance_filter=False) == []


def test_the_un_is_a_side_when_its_secretary_general_takes_part():
    """The UN named as a forum is no target; a meeting with the Secretary-General makes it the other side."""
    met = ("Vladimir Putin met with UN Secretary-General Antonio Guterres in Sochi.\n"
           "Mr Putin stressed that Russia valued its close partnership with the UN and the work of the Organisation.\n"
           "The two also discussed the situation in Syria and the talks on a settlement there.\n")
    found = extract_statements(met, year=2021, relevance_filter=False)
    partnership = next(s for s in found if "close partnership" in s.text)
    assert partnership.target_party == "United Nations"
    forum = ("Vladimir Putin met with Chancellor of Germany Olaf Scholz in Moscow.\n"
             "Mr Putin stressed that Russia valued its cooperation with Germany at the UN and within the G20.\n")
    found = extract_statements(forum, year=2022, relevance_filter=False)
    assert next(s for s in found if "cooperation with Germany" in s.text).target_party == "Germany"
