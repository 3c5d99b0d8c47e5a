"""Offline use of model versions: batch scoring (``inputs``, ``batch``) and evaluation (``metrics``,
``evaluate``, ``report``, ``compare``, and ``matching``/``articles`` for extracted statements)."""
