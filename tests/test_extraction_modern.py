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
