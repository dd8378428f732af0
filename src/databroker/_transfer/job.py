"""Per-job catalogs: read declared inputs, write derived runs locally with provenance.

::

    with databroker.job(inputs=[uid1, uid2], output="job-42", central=catalog) as job:
        data = job.inputs[uid1].primary.read()     # marks uid1 as used
        with job.serializer() as write:             # provenance goes into each start
            ...
    central.merge("job-42")                        # later, idempotently

The job looks each declared input up in ``central`` once, when it starts, and afterwards reads
only those runs (no further queries of the central catalog). At the end it writes
``job-provenance.json`` beside the run files: inputs used, outputs, their file records.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from ..errors import InvalidArgument, RunNotFound
from .provenance import make_provenance
from .records import file_records

__all__ = ["PROVENANCE_FILE", "Job", "JobInputs", "job"]

PROVENANCE_FILE = "job-provenance.json"


class JobInputs(Mapping[str, Any]):
    """The declared inputs of a job by uid; getting one marks it used."""

    def __init__(self, runs: Mapping[str, Any], used: set[str]) -> None:
        self._runs = dict(runs)
        self._used = used

    def __getitem__(self, uid: str) -> Any:
        if uid not in self._runs:
            raise RunNotFound(
                f"The run {uid!r} is not a declared input of this job; its inputs are "
                f"{sorted(self._runs)}. Declare it in job(inputs=[...])."
            )
        self._used.add(uid)
        return self._runs[uid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)


class _ProvenanceWriter:
    """The local catalog's writer, adding the job's provenance to every start."""

    def __init__(self, job: Job, write: Any) -> None:
        self._job = job
        self._write = write

    def __call__(self, name: str, doc: Mapping[str, Any]) -> None:
        if name == "start":
            doc = {**doc, "provenance": doc.get("provenance") or self._job.provenance()}
            self._job.outputs.append(doc["uid"])
        self._write(name, doc)

    def close(self) -> None:
        """Close the underlying writer."""
        self._write.close()

    def __enter__(self) -> _ProvenanceWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Job:
    """A job's limited view of its inputs and its local output catalog (see :func:`job`)."""

    def __init__(
        self,
        inputs: Sequence[Any],
        output: str | os.PathLike[str],
        central: Any = None,
        *,
        format: str = "msgpack",
        code: str | None = None,
        version: str | None = None,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.output = os.fspath(output)
        self.format = format
        self.code, self.version, self.parameters = code, version, dict(parameters or {})
        self.used: set[str] = set()
        self.outputs: list[str] = []
        runs: dict[str, Any] = {}
        for item in inputs:
            if isinstance(item, str):
                if central is None:
                    raise InvalidArgument(
                        f"The input {item!r} is a uid; pass central= to look it up."
                    )
                run = central[item]
            else:
                run = item
            runs[run.uid] = run
        self.inputs = JobInputs(runs, self.used)
        self._writers: list[_ProvenanceWriter] = []

    def __getitem__(self, uid: str) -> Any:
        return self.inputs[uid]

    def mark_used(self, uid: str) -> None:
        """Record that ``uid`` was read (without getting it through :attr:`inputs`)."""
        self.inputs[uid]

    def mark_unused(self, uid: str) -> None:
        """Undo: ``uid`` was looked at but not used to make the outputs."""
        self.used.discard(uid)

    def used_inputs(self) -> list[str]:
        """The inputs read so far, in declaration order."""
        return [uid for uid in self.inputs if uid in self.used]

    def provenance(self, **overrides: Any) -> dict[str, Any]:
        """The provenance of an output made now: the inputs used so far (all if none)."""
        inputs = self.used_inputs() or list(self.inputs)
        return make_provenance(
            inputs,
            code=overrides.get("code", self.code),
            version=overrides.get("version", self.version),
            parameters=overrides.get("parameters", self.parameters),
        )

    def serializer(self) -> _ProvenanceWriter:
        """A writer ``(name, doc)`` into the local catalog that fills in provenance."""
        from .._stores.files.writers import JSONLWriter, MsgpackWriter

        factory = MsgpackWriter if self.format == "msgpack" else JSONLWriter
        writer = _ProvenanceWriter(self, factory(self.output))
        self._writers.append(writer)
        return writer

    def write_run(self, documents: Any) -> str:
        """Write one run's ``(name, doc)`` pairs; return its uid."""
        with self.serializer() as write:
            uid = None
            for name, doc in documents:
                write(name, doc)
                uid = uid or (doc["uid"] if name == "start" else None)
        return str(uid)

    def record(self) -> dict[str, Any]:
        """The job's provenance record: inputs used, outputs, their file records."""
        from .sources import open_target

        records: list[dict[str, Any]] = []
        if self.outputs:
            target = open_target(self.output, file_format=self.format)
            for uid in self.outputs:
                if target.has_run(uid):
                    records += [r.as_dict() for r in file_records(target.reader(uid))]
        return {
            "inputs_declared": list(self.inputs),
            "inputs_used": self.used_inputs(),
            "outputs": list(self.outputs),
            "file_records": records,
            "code": {"name": self.code, "version": self.version},
            "parameters": self.parameters,
        }

    def __enter__(self) -> Job:
        os.makedirs(self.output, exist_ok=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for writer in self._writers:
            writer.close()
        with open(os.path.join(self.output, PROVENANCE_FILE), "w", encoding="utf-8") as file:
            json.dump({**self.record(), "failed": exc_type is not None}, file, indent=1)


def job(
    inputs: Sequence[Any],
    output: str | os.PathLike[str],
    central: Any = None,
    **options: Any,
) -> Job:
    """Return a :class:`Job` (use it in a ``with`` block).

    Parameters
    ----------
    inputs
        Runs, or uids looked up once in ``central``.
    output
        The directory of the job's local catalog (created).
    central
        The catalog the inputs come from.
    **options
        ``format`` (``'msgpack'``/``'jsonl'``), ``code``, ``version``, ``parameters``: what
        goes into each output's provenance.
    """
    return Job(inputs, output, central, **options)
