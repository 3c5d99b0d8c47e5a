"""Extraction: an article's attributed statements, each with its speaker, speaker party and target party.

One module per job: ``layout`` (headline, dateline), ``quotes`` and ``reported`` (candidates),
``speakers`` (attribution), ``resolution`` (parties, with the leader table in ``data/``),
``targets`` (target choice by rules), ``target_scorer`` (the learned ranking over their candidates),
``relevance`` (the learned filter), ``speech`` (speech mode), and ``pipeline``, which runs them in order.
"""

from model.extraction.pipeline import MAX_ARTICLE_CHARS, extract_statements, extractor_version, validate_article

__all__ = ["MAX_ARTICLE_CHARS", "extract_statements", "extractor_version", "validate_article"]
