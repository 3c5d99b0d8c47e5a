"""Library chatter off while training and loading, so stderr shows our progress bar and errors, and stdout only our output.

Without it a retrain printed a transformers load report (the new classifier head is "MISSING", as
it must be), weight-loading and shard-writing bars, TracerWarnings and an opset note from the ONNX
export, a root-logger "consider pre-processing before quantization" warning, and the calibrator's
prints on stdout, which broke ``stance retrain --json``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from typing import Iterator


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    root_level = logging.getLogger().level
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger().setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Converting a tensor to a Python boolean")  # TracerWarning
            warnings.filterwarnings("ignore", message=r"Exporting aten::index operator")
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
        logging.getLogger().setLevel(root_level)


@contextlib.contextmanager
def stdout_muted() -> Iterator[None]:
    """For a library that prints its notes (the ONNX Runtime calibrator) where our output goes."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield
