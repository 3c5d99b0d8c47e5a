"""Keep the long-lived heap out of the garbage collector's full passes.

The language model, the tokenizers and the imported libraries leave hundreds of thousands of objects that live
as long as the process. Each full (generation 2) collection walks all of them, and under a flood, which
allocates fast, one came every second or so and stopped the event loop for 100-250 ms: the tail of
``/healthz`` latency in ``stance bench --soak`` (measured with ``gc.callbacks``). Freezing moves every object
that exists now to a generation the collector never scans; reference counting still frees them when dropped.

Reference counting alone does not free a cycle, and a replaced model version leaves some (about 40 objects of
the old predictor per hot reload, measured). So each freeze first thaws what was frozen and collects it once:
one full pass per load, at load time, instead of one every second under a flood and a leak per reload.
"""

from __future__ import annotations

import gc


def freeze_heap() -> None:
    """Call once something big and long-lived has loaded (the language model, a model version)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
