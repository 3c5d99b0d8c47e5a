"""Offline use of model versions: batch scoring (``inputs``, ``batch``) and evaluation (``evaluate``,
``report``, ``compare``, ``loco``, and ``articles`` for extracted statements). The metrics and span matching
that training also needs live in ``model`` (``model.metrics``, ``model.matching``), so imports run one way."""
