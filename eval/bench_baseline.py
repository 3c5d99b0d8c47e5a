"""The yardstick for ``stance bench``: a plain ``transformers`` pipeline in a FastAPI handler.

It is what one would write first: torch weights, no batching across requests, one request at a
time. It reads the same request body as ``/v1/score`` and feeds the model the same
(party header, statement) pair, so the two servers do the same work per statement.

Run as its own process: ``python -m eval.bench_baseline --model <version folder> --port N [--threads T]``.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from fastapi import FastAPI

from model.encoding import encode_text


def create_baseline_app(model_path: Path, threads: int | None = None) -> FastAPI:
    """``threads`` pins torch's intra-op threads; None keeps torch's default, as a plain pipeline would."""
    import torch
    from transformers import pipeline

    if threads:
        torch.set_num_threads(threads)
    classify = pipeline("text-classification", model=str(model_path), top_k=None)
    one_at_a_time = threading.Lock()
    app = FastAPI(title="baseline: transformers pipeline")

    @app.get("/readyz")
    def readyz() -> dict:
        return {"status": "ready"}

    @app.post("/v1/score")
    def score(body: dict) -> dict:
        pairs = [encode_text(s["text"], s.get("speaker_party"), s.get("target_party")) for s in body["statements"]]
        with one_at_a_time:
            outputs = [classify({"text": first, "text_pair": second}, truncation=True) for first, second in pairs]
        return {"results": [{"label": max(o, key=lambda r: r["score"])["label"],
                             "probs": {r["label"]: r["score"] for r in o}} for o in outputs]}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="A model version folder.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's).")
    args = parser.parse_args()
    uvicorn.run(create_baseline_app(args.model, args.threads), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
