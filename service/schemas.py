"""Request and response bodies of the scoring service, with OpenAPI examples from the seed article.

Every request model forbids unknown fields and coerces nothing (``extra="forbid"``, ``strict``):
a misspelt ``speaker_pary`` or a number where text belongs is a 422, never silently ignored.
Size limits are not in the schema because they are configurable at start-up; they answer 413.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from model.schema import surrogate_problem


def _well_formed(text: str) -> str:
    problem = surrogate_problem(text, "the text")
    if problem:
        raise PydanticCustomError("unpaired_surrogate", problem)
    return text


def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank", "must contain text, not only whitespace")
    return text


Text = Annotated[str, AfterValidator(_well_formed)]
"""Any request string: a lone surrogate (valid JSON, not valid Unicode text) is a 422, never a failed batch."""
NonBlank = Annotated[Text, Field(min_length=1, json_schema_extra={"pattern": r"\S"}), AfterValidator(_not_blank)]
Party = Annotated[Text, StringConstraints(max_length=100)]

# From /work/shared/seed/eu-china-summit-2023.txt (Reuters, EU-China summit, 7 Dec 2023).
LI_QIANG_QUOTE = ("We hope that the EU will be wise when implementing restrictive economic and trade policies "
                  "and when using trade remedy measures to keep its trade and investment markets open")
VON_DER_LEYEN_QUOTE = ("Politically, European leaders will not be able to tolerate our industrial base being "
                       "undermined by unfair competition")
SEED_EXCERPT = (
    "Xi said the two sides need to develop a \u201ccorrect perception\u201d of each other and encourage mutual "
    "understanding and trust.\n\n"
    "Li told a separate meeting that China opposes \u201clarge-scale politicization and securitization\u201d of "
    "economic and trade issues in violation of basic norms of market economies.\n\n"
    f"\u201c{LI_QIANG_QUOTE},\u201d Li said."
)
EXAMPLE_PROBS = {"cooperative": 0.08, "confrontational": 0.17, "conditional": 0.75}


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class StatementIn(RequestModel):
    """One statement to score; the parties say who speaks for whom, toward whom."""

    text: NonBlank = Field(description="The statement's own words (at most the configured characters; default 5,000).")
    id: Text | None = Field(None, max_length=200, description="Your identifier, echoed back with the result.")
    speaker: Text | None = Field(None, max_length=200, description="Who said it (kept for your records; not scored).")
    speaker_party: Party | None = Field(None, description="Party the speaker speaks for; empty or null if unknown.")
    target_party: Party | None = Field(None, description="Party the statement is directed at; empty or null "
                                                         "if unknown.")
    context: Text | None = Field(None, max_length=2000, description="The sentence holding the statement and the one "
                                "before it, if known: the label can hang on them (\"... unless\").")


class ScoreRequest(RequestModel):
    statements: list[StatementIn] = Field(min_length=1, description="At most the configured number (default 256).")


SCORE_EXAMPLES = {
    "li-qiang": {
        "summary": "Li Qiang (China) toward the European Union",
        "value": {"statements": [{"id": "seed-li-1", "text": LI_QIANG_QUOTE, "speaker": "Li Qiang",
                                  "speaker_party": "China", "target_party": "European Union"}]},
    },
    "two-sides": {
        "summary": "Both sides of the summit in one request",
        "value": {"statements": [
            {"id": "seed-li-1", "text": LI_QIANG_QUOTE, "speaker": "Li Qiang", "speaker_party": "China",
             "target_party": "European Union"},
            {"id": "seed-vdl-1", "text": VON_DER_LEYEN_QUOTE, "speaker": "Ursula von der Leyen",
             "speaker_party": "European Union", "target_party": "China"},
        ]},
    },
}


class ScoredStatement(BaseModel):
    id: str | None = Field(description="The request's id for this statement, if it gave one.")
    label: str = Field(description="The most probable stance label.", examples=["conditional"])
    probs: dict[str, float] = Field(description="Calibrated probability of each label.", examples=[EXAMPLE_PROBS])
    model_version: str = Field(description="Model version that scored this statement.")


class ScoreResponse(BaseModel):
    model_version: str
    results: list[ScoredStatement] = Field(description="One result per statement, in request order.")


class AnalyzeRequest(RequestModel):
    text: NonBlank = Field(description="The article's text (at most the configured characters; default 200,000).")
    year: int | None = Field(None, ge=1900, le=2100, description="Publication year; resolves era-dependent names "
                                                                  "(e.g. Moscow before 1992: the Soviet Union).")
    speaker_party: Party | None = Field(None, description="For a speech or a party's own statement: each sentence "
                                                          "naming another party becomes a statement of this party "
                                                          "toward it.")
    addressee: Party | None = Field(None, description="With speaker_party: the party the speech is addressed to "
                                                      "(a parliament's country); a sentence that asks, thanks or "
                                                      "presses 'you' is then toward it. Default: the party the "
                                                      "salutations greet, if any.")

    @model_validator(mode="after")
    def _addressee_needs_a_speaker(self) -> "AnalyzeRequest":
        if self.addressee and not self.speaker_party:
            raise PydanticCustomError("addressee_without_speaker",
                                      "addressee applies to a speech: give speaker_party as well")
        return self


ANALYZE_EXAMPLES = {
    "seed-excerpt": {
        "summary": "Excerpt of the Reuters EU-China summit article (2023)",
        "value": {"text": SEED_EXCERPT, "year": 2023},
    },
}


class AnalyzedStatement(BaseModel):
    text: str
    start: int = Field(description="Character offset of the statement's words in the article.")
    end: int
    kind: Literal["direct", "reported"]
    speaker: str
    speaker_party: str = Field(description="Empty for third parties (analysts, companies).")
    target_party: str
    cue: str = Field(description="The attribution cue, e.g. 'said'.")
    label: str
    probs: dict[str, float]


class PartyPairSummary(BaseModel):
    speaker_party: str
    target_party: str
    counts: dict[str, int] = Field(description="Statements of each label from speaker_party toward target_party.")
    total: int


class AnalyzeResponse(BaseModel):
    model_version: str
    statements: list[AnalyzedStatement]
    summary: list[PartyPairSummary] = Field(description="Per (speaker, target) party pair; third-party speakers "
                                                        "(empty speaker_party) are left out.")


class RefusedVersion(BaseModel):
    version: str
    reason: str
    at: str


class ModelInfo(BaseModel):
    version: str
    backend: str
    inference_threads: int
    onnx_file: str | None
    labels: list[str]
    temperature: float
    max_length: int
    created: str | None
    metrics: dict
    data_fingerprint: dict
    model_card: str = Field(description="The version's MODEL_CARD.md (Markdown).")
    loaded_at: str | None
    refused: RefusedVersion | None = Field(description="The last promoted version that failed to load, if the "
                                                       "registry's current alias points at it; the old one serves.")


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    model_version: str
    refused: str | None = Field(None, description="Why the version `current` points at is not served (the one "
                                                  "named in model_version serves instead), if so.")


class ErrorInfo(BaseModel):
    kind: str = Field(examples=["validation"])
    message: str
    detail: list[dict] | None = None


class ErrorBody(BaseModel):
    error: ErrorInfo


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error statuses a route can answer, all with the ``ErrorBody`` shape."""
    text = {404: "Not found", 413: "Too large", 422: "Invalid request", 429: "Overloaded; retry after a moment",
            500: "Inference failed", 503: "Timed out or no model loaded yet"}
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}
