"""``stance score --engine ray``: the local batch scorer's reading, scoring and writing, spread over Ray actors.

The driver cuts the input into chunks (a cursor and a row count for JSONL and CSV, a list of files
for a folder of articles) and writes that plan into a staging folder as its manifest. A Ray Data
pipeline maps the chunks over a pool of actors, each holding one ONNX Runtime session (one CPU,
one intra-op thread): an actor reads its chunk with the project's own reader (``eval.inputs``, so
line numbers and rejects are the local engine's), scores it with ``eval.batch.score_rows`` and
returns the encoded output and rejects lines. Ray's own ``read_json``/``read_csv`` are not used:
they drop line numbers and stop at the first bad line, where a reject must name its line and the
run go on.

Chunks come back in any order. The driver stages each one as a file (atomic rename), then appends
every staged chunk that is next in input order to the output through the local engine's
``RunFiles`` (fsync, then checkpoint), and deletes it. A killed run rerun with ``--resume`` reuses
the manifest, skips the chunks already staged or committed and asks Ray only for the rest, so the
final output holds every input exactly once, in input order, byte for byte what the local engine
writes.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import time
from itertools import islice
from pathlib import Path

from eval.batch import Checkpoint, RunFiles, RunPaths, Scored, score_rows
from eval.inputs import ArticleSource, Source, open_source
from model.errors import InputError

ARTICLES_PER_CHUNK = 16
"""Articles per chunk for a folder input: extraction runs on the actors too, a few seconds per article."""
MANIFEST = "manifest.json"


def staging_dir(paths: RunPaths) -> Path:
    return paths.output.with_name(f"{paths.output.name}.staging")


def plan_chunks(source: Source, rows_per_chunk: int) -> list[dict]:
    """The chunks of an input: every ``rows_per_chunk`` rows' start cursor (read once here, the model
    not involved), or groups of article files; ``units`` is what each adds to the progress count."""
    if isinstance(source, ArticleSource):
        names = [p.name for p in source.files()]
        return [{"files": names[s:s + ARTICLES_PER_CHUNK], "units": len(names[s:s + ARTICLES_PER_CHUNK])}
                for s in range(0, len(names), ARTICLES_PER_CHUNK)]
    chunks, start, n = [], None, 0
    for row in source.rows():
        n += 1
        if n == rows_per_chunk:
            chunks.append({"cursor": start, "rows": n, "units": n})
            start, n = row.cursor, 0
    if n:
        chunks.append({"cursor": start, "rows": n, "units": n})
    return chunks


def chunk_rows(source: Source, chunk: dict) -> list:
    """The rows of one chunk, read with the same reader the local engine uses."""
    if "files" in chunk:
        assert isinstance(source, ArticleSource)
        return list(ArticleSource(source.folder, source.year, source.speaker_party, chunk["files"],
                                  source.weights).rows())
    return list(islice(source.rows(chunk["cursor"]), chunk["rows"]))


class ChunkScorer:
    """A Ray actor's state: one reader and one single-threaded model session, reused for every chunk."""

    def __init__(self, input_path: str, year: int | None, speaker_party: str | None, version_path: str,
                 backend: str):
        from model.predictor import Predictor

        self.predictor = Predictor.from_path(version_path, backend, threads=1)
        self.source = open_source(Path(input_path), year, speaker_party, self.predictor.version.extractor_weights)

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"chunk": [], "output": [], "rejects": [], "scored": [], "rejected": [],
                                "cpu_s": []}
        for index, spec in zip(batch["chunk"], batch["spec"]):
            cpu = time.process_time()  # the actor's CPU time: a rate per worker that the neighbours' load moves less
            scored = score_rows(self.predictor, chunk_rows(self.source, json.loads(spec)))
            for key, value in (("chunk", int(index)), ("output", scored.output), ("rejects", scored.rejects),
                               ("scored", scored.scored), ("rejected", scored.rejected),
                               ("cpu_s", time.process_time() - cpu)):
                out[key].append(value)
        return out


class Staging:
    """The staging folder: the plan (manifest) and one file per scored chunk not yet committed."""

    def __init__(self, folder: Path):
        self.folder = folder

    def chunk_path(self, index: int) -> Path:
        return self.folder / f"{index:06d}.chunk"

    def create(self, manifest: dict) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        _write_atomic(self.folder / MANIFEST, json.dumps(manifest).encode())

    def load(self, ckpt: Checkpoint) -> dict:
        try:
            manifest = json.loads((self.folder / MANIFEST).read_text())
        except (FileNotFoundError, json.JSONDecodeError) as e:
            raise InputError(f"{self.folder}: no readable staging manifest ({e}); pass --overwrite to start "
                             "again") from None
        staged_for = (manifest.get("input"), manifest.get("model_version"), manifest.get("extractor"))
        if staged_for != (ckpt.input, ckpt.model_version, ckpt.extractor):
            raise InputError(f"{self.folder}: staged for another input, model or extractor; pass --overwrite to "
                             "start again")
        return manifest

    def stage(self, index: int, scored: Scored) -> None:
        """One chunk's lines, whole or not at all: a header line with the counts, then output, then rejects."""
        head = json.dumps({"scored": scored.scored, "rejected": scored.rejected, "output_bytes": len(scored.output)})
        _write_atomic(self.chunk_path(index), head.encode() + b"\n" + scored.output + scored.rejects)

    def read(self, index: int) -> Scored | None:
        try:
            data = self.chunk_path(index).read_bytes()
        except FileNotFoundError:
            return None
        head, _, body = data.partition(b"\n")
        h = json.loads(head)
        return Scored(body[:h["output_bytes"]], body[h["output_bytes"]:], h["scored"], h["rejected"])


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def require_ray() -> None:
    """Refuse before any work when Ray is not installed, saying how to get it."""
    try:
        import ray.data  # noqa: F401
    except ImportError:
        raise InputError("--engine ray needs Ray Data: pip install 'summit-stance[scale]'") from None


def start_ray(address: str | None, workers: int) -> None:
    """Join the cluster at ``address`` (or ``RAY_ADDRESS``), else start a local Ray sized for the workers."""
    import ray

    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS")
    local = {} if address else {"num_cpus": workers + 1}  # one per actor, one for Ray Data's own tasks
    ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False,
             configure_logging=True, **local)


class RayRun:
    """One Ray run (fresh or resumed) of an input into the files in ``paths``."""

    def __init__(self, input_path: Path, source: Source, version, backend: str, paths: RunPaths,
                 ckpt: Checkpoint, fresh: bool, rows_per_chunk: int, workers: int, year: int | None = None,
                 speaker_party: str | None = None):
        self.input_path, self.source, self.version, self.backend = input_path, source, version, backend
        self.paths, self.ckpt, self.fresh, self.workers = paths, ckpt, fresh, workers
        self.rows_per_chunk, self.year, self.speaker_party = rows_per_chunk, year, speaker_party
        self.staging = Staging(staging_dir(paths))
        self.actor_cpu_s = 0.0
        """CPU seconds the actors spent reading and scoring the chunks this run scored."""

    def chunks(self) -> list[dict]:
        """The plan: made and staged on a fresh run, read back on a resumed one so chunks keep their numbers."""
        if self.fresh:
            chunks = plan_chunks(self.source, self.rows_per_chunk)
            self.staging.create({"input": self.ckpt.input, "model_version": self.ckpt.model_version,
                                 "extractor": self.ckpt.extractor, "chunks": chunks})
            return chunks
        return self.staging.load(self.ckpt)["chunks"]

    def run(self, address: str | None = None, progress: bool = True) -> Checkpoint:
        from tqdm import tqdm

        if self.ckpt.finished:
            return self.ckpt
        require_ray()
        chunks = self.chunks()
        start = (self.ckpt.cursor or {"chunk": 0})["chunk"]
        bar = tqdm(total=sum(c["units"] for c in chunks), initial=self.ckpt.done, unit=self.source.unit,
                   file=sys.stderr, disable=not progress, dynamic_ncols=True)
        with RunFiles(self.paths, self.ckpt) as files, bar:
            for index in range(start):  # committed before a crash that came before their deletion
                self.staging.chunk_path(index).unlink(missing_ok=True)
            pending = [i for i in range(start, len(chunks)) if not self.staging.chunk_path(i).exists()]
            self._commit_ready(chunks, files, bar)
            if pending:
                for row in self._scored(chunks, pending, address):
                    self.actor_cpu_s += float(row["cpu_s"])
                    self.staging.stage(int(row["chunk"]), Scored(bytes(row["output"]), bytes(row["rejects"]),
                                                                 int(row["scored"]), int(row["rejected"])))
                    self._commit_ready(chunks, files, bar)
            if files.ckpt.cursor != {"chunk": len(chunks)} and chunks:
                raise RuntimeError(f"Ray returned {files.ckpt.cursor} of {len(chunks)} chunks; rerun with --resume")
            files.finish()
        shutil.rmtree(self.staging.folder, ignore_errors=True)
        return self.ckpt

    def _scored(self, chunks: list[dict], pending: list[int], address: str | None):
        """Scored chunks as Ray finishes them, in any order."""
        import ray.data

        start_ray(address, self.workers)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        ds = ray.data.from_items([{"chunk": i, "spec": json.dumps(chunks[i])} for i in pending],
                                 override_num_blocks=len(pending))
        pool = ray.data.ActorPoolStrategy(size=self.workers)
        ds = ds.map_batches(ChunkScorer, batch_size=1, compute=pool, num_cpus=1,
                            fn_constructor_kwargs={"input_path": str(Path(self.input_path).resolve()),
                                                   "year": self.year, "speaker_party": self.speaker_party,
                                                   "version_path": str(self.version.path.resolve()),
                                                   "backend": self.backend})
        yield from ds.iter_rows()

    def _commit_ready(self, chunks: list[dict], files: RunFiles, bar) -> None:
        """Append every staged chunk that is next in input order, then drop its staged file."""
        index = (files.ckpt.cursor or {"chunk": 0})["chunk"]
        while index < len(chunks) and (scored := self.staging.read(index)) is not None:
            files.append(scored, {"chunk": index + 1}, files.ckpt.done + chunks[index]["units"])
            self.staging.chunk_path(index).unlink()
            bar.update(chunks[index]["units"])
            index += 1
