"""Extraction: an article's attributed statements, each with its speaker, speaker party and target party.

One module per job: ``layout`` (headline, dateline), ``quotes`` and ``reported`` (candidates),
``speakers`` (attribution), ``resolution`` (parties, with the leader table in ``data/``),
``targets`` (target choice by rules), ``target_scorer`` (the learned ranking over their candidates),
``relevance`` (the learned filter), ``speech`` (speech mode), and ``pipeline``, which runs them in order;
``weights`` names the fitted files of the two learned parts, which a model version carries.
"""

from model.extraction.pipeline import MAX_ARTICLE_CHARS, extract_statements, extractor_version, validate_article
from model.extraction.weights import ExtractorWeights

__all__ = ["MAX_ARTICLE_CHARS", "ExtractorWeights", "extract_statements", "extractor_version", "validate_article"]
