"""Modern wire copy: the attribution patterns of current news, each with the parties it must get."""

from __future__ import annotations

import pytest

from model.extraction import extract_statements

ARTICLE = (
    "Iran vows revenge after US strike\n"
    "BAGHDAD, Jan 3, 2020 (Reuters) - Secretary of State Mike Pompeo said on Friday that the United States would "
    "not tolerate attacks by Iran on American forces in Iraq.\n"
    "Iranian Foreign Minister Mohammad Javad Zarif told reporters in Tehran that Washington bore full responsibility "
    "for the consequences of its rogue adventurism.\n"
    '"This was a dangerous escalation," the Foreign Ministry in Beijing said in a statement, urging Washington and '
    "Tehran to exercise restraint.\n"
    "Russia's Foreign Ministry spokeswoman said the strike was a reckless step that would raise tensions.\n"
    "Trump tweeted that Iran had never won a war but never lost a negotiation.\n"
    "A senior US official warned that any attack on American personnel would be met with a swift response "
    "against Iran.\n"
    '"Iran will take harsh revenge on the United States," Khamenei said.\n'
    '"Tehran must stop its attacks," U.S. officials said.\n'
)


@pytest.fixture(scope="module")
def found():
    return extract_statements(ARTICLE, year=1987, relevance_filter=False)


@pytest.mark.parametrize("starts, cue, speaker_party, target_party", [
    ("the United States would not tolerate", "said", "United States", "Iran"),          # "said on Friday that"
    ("Washington bore full responsibility", "told", "Iran", "United States"),            # "told reporters"
    ("This was a dangerous escalation", "said", "China", None),                          # ministry in a capital
    ("the strike was a reckless step", "said", "Russia", None),                          # X's spokeswoman
    ("Iran had never won a war", "tweeted", "United States", "Iran"),                    # tweeted, leader table
    ("any attack on American personnel", "warned", "United States", "Iran"),             # unnamed official
    ("Iran will take harsh revenge", "said", "Iran", "United States"),                   # leader table, 2020
    ("Tehran must stop its attacks", "said", "United States", "Iran"),                  # "U.S. officials said"
])
def test_modern_attribution(found, starts, cue, speaker_party, target_party):
    st = next(s for s in found if s.text.startswith(starts))
    assert (st.cue, st.speaker_party) == (cue, speaker_party)
    assert target_party is None or st.target_party == target_party


def test_a_demand_on_two_parties_is_one_record_per_party(found):
    urging = [s for s in found if s.text.startswith("urging Washington and Tehran")]
    assert sorted(s.target_party for s in urging) == ["Iran", "United States"]
    assert all(s.speaker_party == "China" for s in urging)


def test_dateline_year_overrides_the_default_and_dateline_stays_out(found):
    assert all(s.start > ARTICLE.index("(Reuters) -") for s in found)
    khamenei = next(s for s in found if s.text.startswith("Iran will take"))
    assert khamenei.speaker_party == "Iran"   # the leader table is read for 2020 (the dateline), not 1987


@pytest.mark.parametrize("text, starts, speaker_party, target_party", [
    ("As Chinese Foreign Minister Wang Yi noted, the United States must stop interfering in the affairs of China.\n",
     "the United States must stop", "China", "United States"),                            # "As X noted, ..."
    ("Japan must open its markets to American goods, as Trade Representative Clayton Yeutter stressed.\n",
     "Japan must open its markets", "United States", "Japan"),                             # "..., as X stressed"
    ("The remarks echoed Belgian Trade Minister Anne Vermeulen, who said the community would hit back at "
     "the United States.\n", "the community would hit back", "Belgium", "United States"),   # "X, who said ..."
    ("On Wednesday, the Egyptian foreign minister denounced the maritime deal between Turkey and Libya.\n",
     "denounced the maritime deal", "Egypt", "Turkey"),                                    # a speech act verb
    ("Peru's mining minister Carlos Rivas was quoted today as saying Chile will ship the copper for Peru "
     "next year.\n", "Chile will ship the copper", "Peru", "Chile"),                      # "was quoted as saying"
    ("The Chilean foreign ministry concluded that Bolivia had no claim to the coast.\n",
     "Bolivia had no claim", "Chile", "Bolivia"),                                           # "concluded that"
    ("Chilean officials deemed that the Bolivian naval exercise breached the 1904 treaty.\n",
     "the Bolivian naval exercise breached", "Chile", "Bolivia"),                           # "deemed that"
    ("A spokesman for the Afghan army said two checkpoints were lost. The Taliban claimed responsibility for the "
     "raids on the Afghan army.\n", "claimed responsibility", "Taliban", "Afghanistan"),    # a claim of an act
])
def test_reported_speech_forms_of_news_copy(text, starts, speaker_party, target_party):
    found = extract_statements(text, year=2020, relevance_filter=False)
    st = next(s for s in found if s.text.startswith(starts))
    assert (st.speaker_party, st.target_party) == (speaker_party, target_party)
    assert "as " not in st.text[-30:] and "who said" not in st.text


def test_the_lead_sentence_after_a_dateline_is_a_statement():
    text = ("TOKYO TRADE TALKS\n\nTOKYO, March 3 - Japan will open its rice market to American farmers next year, "
            "Agriculture Minister Mutsuki Kato said on Tuesday.\n")
    found = extract_statements(text, year=1987, relevance_filter=False)
    lead = next(s for s in found if s.cue == "said")
    assert lead.text.startswith("Japan will open its rice market") and lead.start > text.index("March 3 -")


def test_a_pronoun_in_a_paragraph_that_opens_with_a_new_speaker_is_that_speaker():
    text = ("River dispute flares\n"
            "Paraguayan president Ana Duarte said on Monday that Bolivia had broken the river treaty.\n"
            "On Tuesday, Chilean foreign minister Pablo Ruiz speaking to a university audience in Santiago called the "
            'treaty "unfair". "The treaty ignores the rights of every country upstream and Bolivia knows it", he added. '
            "He also noted that the Bolivian congress never ratified the treaty.\n")
    found = extract_statements(text, year=2020, relevance_filter=False)
    later = [s for s in found if s.start > text.index("On Tuesday")]
    assert {s.cue for s in later} >= {"added", "noted"}
    assert all((s.speaker, s.speaker_party) == ("Pablo Ruiz", "Chile") for s in later)
    first = next(s for s in found if s.text.startswith("Bolivia had broken"))
    assert first.speaker_party == "Paraguay"


def test_a_bare_title_before_a_known_name_keeps_the_party_the_article_gave_the_person():
    text = ("Rail talks\n"
            "Portuguese President Rui Tavares met Swiss President Lena Morf in Bern on Monday. Switzerland hosts "
            "the talks every year, and Switzerland wants a new rail link.\n"
            "President Tavares said the talks with Switzerland had been frank and useful.\n"
            "Mr Tavares added that the new rail link would help both economies.\n")
    found = extract_statements(text, year=2021, relevance_filter=False)
    tavares = [s for s in found if s.speaker == "Rui Tavares"]
    assert {s.cue for s in tavares} == {"said", "added"}
    assert all(s.speaker_party == "Portugal" for s in tavares)


KREMLIN_READOUT = "http://en.kremlin.ru/events/president/news/1"


@pytest.mark.parametrize("text, starts, speaker, speaker_party, target_party", [
    # an unnamed official on a government's own site speaks for that government, not the party named most
    ("Telephone conversation with Prime Minister of Norway Kari Lund\n"
     "Vladimir Putin had a telephone conversation with Prime Minister of Norway Kari Lund. Norway currently chairs "
     "the Arctic Council, and Norway and Russia share fishing grounds in the Barents Sea.\n"
     "The President noted that fishing quotas in the Barents Sea had been agreed with Norway for many years.\n",
     "fishing quotas", "President", "Russia", "Norway"),
    # a person the readout never introduces, whose party no table gives, is the government's guest
    ("Talks in the Kremlin\n"
     "Vladimir Putin met Kari Lund in the Kremlin. Norway and Russia signed a fisheries memorandum, and Norway will "
     "host the next round.\n"
     "Ms Lund said that the fisheries memorandum would serve both countries well.\n",
     "the fisheries memorandum would", "Kari Lund", "Norway", "Russia"),
])
def test_speakers_on_a_government_site(text, starts, speaker, speaker_party, target_party):
    found = extract_statements(text, year=2021, source=KREMLIN_READOUT, relevance_filter=False)
    st = next(s for s in found if s.text.startswith(starts))
    assert (st.speaker, st.speaker_party, st.target_party) == (speaker, speaker_party, target_party)


@pytest.mark.parametrize("text, starts, speaker_party, target_party", [
    # a headline naming a country does not give the first person named below it that country's party
    ("Swiss rail plan stalls\n"
     "Portuguese President Rui Tavares flew to Bern on Monday.\n"
     "Tavares said that Switzerland had delayed the rail link again.\n",
     "Switzerland had delayed", "Portugal", "Switzerland"),
    # "she" stays with the last speaker when the paragraph names her again, even where the tagger misses the name
    ("Border row\n"
     "Norwegian prime minister Kari Haugen said on Monday that Russia had broken the fisheries accord.\n"
     "Later on Tuesday Haugen met with the International Monetary Fund, then with President Trump, where she "
     "denounced the fisheries accord again.\n",
     "denounced the fisheries accord", "Norway", "Russia"),
    # an apposition qualifies an office the table gives to another state; the dateline's country does not speak
    ("Lumber duties\n"
     "WASHINGTON, March 3 - The United States must drop its duties on spruce boards, Tom Ferrisby, Canadian "
     "secretary of state for external affairs, said on Tuesday.\n",
     "The United States must drop", "Canada", "United States"),
])
def test_who_speaks_in_news_copy(text, starts, speaker_party, target_party):
    found = extract_statements(text, year=2021, relevance_filter=False)
    st = next(s for s in found if s.text.startswith(starts))
    assert (st.speaker_party, st.target_party) == (speaker_party, target_party)


def test_a_statement_on_an_agreement_between_two_parties_is_one_record_toward_each():
    text = ("Fishing dispute\n"
            "Chilean foreign minister Pablo Ruiz said the fishing agreement signed between Peru and Ecuador last month "
            "was illegal and ignored the rights of third states.\n"
            "Peruvian trade minister Rosa Vega said the fishing agreement between Peru and Ecuador would stand.\n")
    found = extract_statements(text, year=2020, relevance_filter=False)
    chile = [s for s in found if s.speaker_party == "Chile"]
    assert sorted(s.target_party for s in chile) == ["Ecuador", "Peru"]
    assert [s.target_party for s in found if s.speaker_party == "Peru"] == ["Ecuador"]  # never its own party


@pytest.mark.parametrize("text, starts, targets", [
    ("Norwegian prime minister Kari Haugen called on Sweden and Finland to join the pipeline project.\n",
     "called on Sweden and Finland", ["Finland", "Sweden"]),
    ("Chilean foreign minister Pablo Ruiz appealed to Peru and Bolivia to reopen the border crossings.\n",
     "appealed to Peru and Bolivia", ["Bolivia", "Peru"]),
])
def test_a_call_on_named_parties_is_one_record_toward_each(text, starts, targets):
    found = extract_statements(text, year=2020, relevance_filter=False)
    assert sorted(s.target_party for s in found if s.text.startswith(starts)) == targets
