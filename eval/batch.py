"""Resumable batch scoring: stream statements through a model into JSONL, each input exactly once, in order.

Scored rows and rejects are appended one batch at a time and fsynced; only then does the
checkpoint (input cursor, both file sizes, counts) move, by an atomic replace. After any
interruption (Ctrl-C, kill -9, power loss) a resumed run truncates both files to the sizes
the checkpoint records and continues from its cursor, so a half-written batch is redone,
never duplicated, and memory holds one batch whatever the input size.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from eval.inputs import Row, Source
from model.errors import InputError

OUTPUT_KEYS = ("label", "probs", "model_version")
COMMIT_ROWS = 1024
"""Rows per committed batch (output, rejects and checkpoint fsynced once per batch): as many as the engine
limit sorts by length at once, so batch scoring pads no more than it does. Memory holds one such batch."""
INFERENCE_BATCH = 16
"""Statements per model call within a committed batch, sorted by length: as in the service, where 16 beat 64
on 2 cores (less padding). One padded call for a whole committed batch ran at about half the engine limit."""


@dataclass(frozen=True)
class RunPaths:
    """The three files of one run; rejects and checkpoint sit next to the output by default."""

    output: Path
    rejects: Path
    checkpoint: Path

    @classmethod
    def for_output(cls, output: Path, rejects: Path | None = None) -> "RunPaths":
        output = Path(output)
        stem = output.name.removesuffix(".jsonl")
        return cls(output, Path(rejects) if rejects else output.with_name(f"{stem}.rejects.jsonl"),
                   output.with_name(f"{output.name}.checkpoint.json"))


@dataclass
class Checkpoint:
    """How far a run got: the input cursor after the last committed batch and the sizes it left."""

    input: str
    rejects: str
    model_version: str
    backend: str
    cursor: dict | None = None
    done: int = 0
    output_bytes: int = 0
    rejects_bytes: int = 0
    scored: int = 0
    rejected: int = 0
    finished: bool = False
    engine: str = "local"
    extractor: str | None = None
    """The extractor (code and fitted files) that made the statements of an articles input; None for statements."""

    @classmethod
    def load(cls, path: Path) -> "Checkpoint":
        try:
            return cls(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as e:
            raise InputError(f"{path}: not a readable checkpoint ({e}); pass --overwrite to start again") from None

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w") as f:
            json.dump(asdict(self), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def plan_run(input_path: Path, paths: RunPaths, model: str | None, backend: str,
             resume: bool, overwrite: bool, engine: str = "local") -> Checkpoint | None:
    """The checkpoint to continue from, or None to start afresh; refuses whatever would lose or mix output."""
    if len({p.resolve() for p in (input_path, paths.output, paths.rejects)}) < 3:
        raise InputError(f"input {input_path}, output {paths.output} and rejects {paths.rejects} must be three files")
    if resume and paths.checkpoint.is_file():
        ckpt = Checkpoint.load(paths.checkpoint)
        if ckpt.input != str(Path(input_path).resolve()):
            raise InputError(f"{paths.output} was scored from {ckpt.input}, not {input_path}: resume with that input")
        if ckpt.rejects != str(paths.rejects.resolve()):
            raise InputError(f"{paths.output} wrote its rejects to {ckpt.rejects}: resume with that --rejects")
        if model not in (None, "current", ckpt.model_version):
            raise InputError(f"{paths.output} was scored with model {ckpt.model_version}, not {model}: "
                             "resume without --model (or with that version) to keep the output consistent")
        if backend != ckpt.backend:
            raise InputError(f"{paths.output} was scored with --backend {ckpt.backend}: resume with that backend")
        if engine != ckpt.engine:
            raise InputError(f"{paths.output} was scored with --engine {ckpt.engine}: resume with that engine")
        return ckpt
    existing = [p for p in (paths.output, paths.rejects, paths.checkpoint) if p.exists()]
    if existing and not overwrite:
        if resume:
            raise InputError(f"{paths.output} has no checkpoint ({paths.checkpoint.name}), so it cannot be resumed; "
                             "pass --overwrite to score from the start")
        raise InputError(f"{existing[0]} already exists: pass --resume to continue that run or --overwrite to redo it")
    return None


def check_extractor(ckpt: Checkpoint, extractor: str | None, output: Path) -> None:
    """Refuse to resume articles with another extractor: its statements would not be the ones the cursor
    counts (a statement index into another list), so the output would get gaps or duplicates."""
    if ckpt.extractor != extractor:
        raise InputError(f"{output} was extracted with {ckpt.extractor or 'an unrecorded extractor'}, but model "
                         f"version {ckpt.model_version} with this code extracts with {extractor or 'none'}: resume "
                         "with the code and version that started it, or pass --overwrite to score from the start")


def _open_at(path: Path, size: int) -> BinaryIO:
    """Open for appending at ``size`` bytes, cutting off anything written after the last checkpoint."""
    path.touch()
    actual = path.stat().st_size
    if actual < size:
        raise InputError(f"{path} has {actual} bytes but its checkpoint recorded {size}: it was changed after "
                         "the run stopped; pass --overwrite to score from the start")
    f = path.open("r+b")
    f.truncate(size)
    f.seek(size)
    return f


def scored_record(record: dict, label: str, probs: dict[str, float], version: str) -> dict:
    """The input fields plus the prediction; an input field named like an output one is kept as ``input_<name>``."""
    kept = {(f"input_{k}" if k in OUTPUT_KEYS else k): v for k, v in record.items()}
    return {**kept, "label": label, "probs": probs, "model_version": version}


def _line(obj: dict) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class Scored:
    """One batch of rows as the output and rejects lines to append, with their counts."""

    output: bytes
    rejects: bytes
    scored: int
    rejected: int


def _predict(predictor, rows: list[Row]) -> list:
    """Predictions for rows with a record; when a batch fails, each row alone, so one input the model
    cannot take is rejected with why instead of ending the run (a model that fails on all of them does)."""
    good = [r for r in rows if r.reason is None]
    try:
        return predictor.predict([r.record for r in good], batch_size=INFERENCE_BATCH)
    except Exception as batch_error:
        preds = []
        for r in good:
            try:
                preds.append(predictor.predict([r.record])[0])
            except Exception as e:
                r.reason, r.raw = f"the model could not score it ({type(e).__name__}: {e})", r.record.get("text")
        if len(preds) == 0 and len(good) > 1:
            raise batch_error
        return preds


def score_rows(predictor, rows: list[Row]) -> Scored:
    """Score a batch of rows into output and rejects lines: the one encoding both engines (local, Ray) write."""
    preds = _predict(predictor, rows)
    good = [r for r in rows if r.reason is None]
    version = predictor.version_name
    return Scored(b"".join(_line(scored_record(r.record, p.label, p.probs, version)) for r, p in zip(good, preds)),
                  b"".join(_line({**r.where, "reason": r.reason, "raw": r.raw}) for r in rows if r.reason),
                  len(good), len(rows) - len(good))


class RunFiles:
    """The output and rejects of a run, appended one fsynced batch at a time, each followed by its checkpoint."""

    def __init__(self, paths: RunPaths, ckpt: Checkpoint):
        self.paths, self.ckpt = paths, ckpt
        ckpt.save(paths.checkpoint)  # exists before any output does: an output never lacks one
        self.out = _open_at(paths.output, ckpt.output_bytes)
        self.rej = _open_at(paths.rejects, ckpt.rejects_bytes)

    def __enter__(self) -> "RunFiles":
        return self

    def __exit__(self, *exc) -> None:
        self.out.close()
        self.rej.close()

    def append(self, scored: Scored, cursor: dict, done: int) -> None:
        """Write one batch, fsync it, then move the checkpoint past it (so a crash redoes it, never twice)."""
        self.out.write(scored.output)
        self.rej.write(scored.rejects)
        for f in (self.out, self.rej):
            f.flush()
            os.fsync(f.fileno())
        c = self.ckpt
        c.cursor, c.done = cursor, done
        c.output_bytes, c.rejects_bytes = self.out.tell(), self.rej.tell()
        c.scored += scored.scored
        c.rejected += scored.rejected
        c.save(self.paths.checkpoint)

    def finish(self) -> None:
        self.ckpt.finished = True
        self.ckpt.save(self.paths.checkpoint)


class BatchRun:
    """One run (fresh or resumed) of a source through a predictor into the files in ``paths``."""

    def __init__(self, source: Source, predictor, paths: RunPaths, ckpt: Checkpoint, batch_size: int = COMMIT_ROWS):
        self.source, self.predictor, self.paths, self.ckpt = source, predictor, paths, ckpt
        self.batch_size = batch_size

    def run(self, progress: bool = True) -> Checkpoint:
        """Score every row after the checkpoint's cursor, committing a checkpoint per batch."""
        from tqdm import tqdm

        if self.ckpt.finished:
            return self.ckpt
        bar = tqdm(total=self.source.total(), initial=self.ckpt.done, unit=self.source.unit,
                   file=sys.stderr, disable=not progress, dynamic_ncols=True)
        with RunFiles(self.paths, self.ckpt) as files, bar:
            pending: list[Row] = []
            for row in self.source.rows(self.ckpt.cursor):
                pending.append(row)
                if len(pending) >= self.batch_size:
                    self._commit(pending, files, bar)
                    pending = []
            if pending:
                self._commit(pending, files, bar)
            files.finish()
        return self.ckpt

    def _commit(self, rows: list[Row], files: RunFiles, bar) -> None:
        last = rows[-1]
        files.append(score_rows(self.predictor, rows), last.cursor, last.done)
        bar.update(last.done - bar.n)


def summary(ckpt: Checkpoint, paths: RunPaths) -> dict:
    return {"input": ckpt.input, "output": str(paths.output), "rejects": str(paths.rejects),
            "model_version": ckpt.model_version, "backend": ckpt.backend,
            "scored": ckpt.scored, "rejected": ckpt.rejected, "complete": ckpt.finished}
