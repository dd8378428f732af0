"""Provenance of derived runs, per-job catalogs merged later, pruning with guards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import event_model
import pytest

import databroker
from databroker import errors
from databroker.queries import DerivedFrom
from databroker.testing.backends import storage


def _derived_documents(value: float) -> list[tuple[str, Any]]:
    run = event_model.compose_run(metadata={"purpose": "derived"})
    desc = run.compose_descriptor(
        name="primary", data_keys={"mean": {"source": "job", "dtype": "number", "shape": []}}
    )
    event = desc.compose_event(data={"mean": value}, timestamps={"mean": 0.0}, seq_num=1)
    return [
        ("start", run.start_doc),
        ("descriptor", desc.descriptor_doc),
        ("event", event),
        ("stop", run.compose_stop()),
    ]


def test_job_writes_derived_run_merged_twice(source: Any, tmp_path: Path) -> None:
    """[new] A job's derived run names its used inputs; merged twice it is there once; the
    provenance walks both ways."""
    uids = list(source)
    output = tmp_path / "job"
    with databroker.job(inputs=uids[:2], output=output, central=source, code="mean") as job:
        value = float(job.inputs[uids[0]].primary.read()["img"].mean())
        job[uids[1]]
        job.mark_unused(uids[1])
        derived = job.write_run(_derived_documents(value))
    local = databroker.open_catalog(output)
    assert local[derived].provenance["inputs"] == [{"uid": uids[0]}]
    assert (output / "job-provenance.json").is_file()
    central = storage("msgpack", tmp_path / "central").catalog()
    databroker.unpack(_bundle(source, tmp_path), central)
    first = central.merge(output)
    second = central.merge([output])
    assert first.runs == [derived] and second.runs == [] and second.skipped == [derived]
    central.force_reload()
    assert len(central) == 4
    assert list(central.search(DerivedFrom(uids[0]))) == [derived]
    assert [r.uid for r in central[derived].inputs()] == [uids[0]]
    assert list(central[uids[0]].derived()) == [derived]
    assert [loc.uid for loc in central.locate(derived, output)] == [derived, derived]


def _bundle(source: Any, tmp_path: Path) -> Path:
    path = tmp_path / "bundle.zip"
    databroker.pack(source, path)
    return path


def test_job_reads_only_declared_inputs(source: Any, tmp_path: Path) -> None:
    """[new] A job refuses runs it did not declare."""
    uid = next(iter(source))
    with (
        databroker.job(inputs=[uid], output=tmp_path / "j", central=source) as job,
        pytest.raises(errors.RunNotFound, match="not a declared input"),
    ):
        job.inputs["other"]


def test_prune_guards_and_unstore(source: Any, tmp_path: Path) -> None:
    """[new] prune is a dry run by default, refuses inputs of other runs unless forced, and
    with unstore deletes files no other run uses."""
    uids = list(source)
    with databroker.job(inputs=[uids[0]], output=tmp_path / "j", central=source) as job:
        job.mark_used(uids[0])
        derived = job.write_run(_derived_documents(1.0))
    source.merge(tmp_path / "j")
    with pytest.raises(errors.PruneRefused, match=derived):
        source.prune([uids[0]])
    files = [r.path for r in source[uids[0]].file_records()]
    plan = source.prune([uids[0]], force=True, unstore=True)
    assert (
        plan.dry_run
        and len(source) == 4
        and sorted(f["source"] for f in plan.files) == sorted(files)
    )
    source.prune([uids[0]], force=True, unstore=True, dry_run=False)
    assert uids[0] not in source and len(source) == 3
    assert not any(Path(p).exists() for p in files)


@pytest.mark.parametrize("backend", ["memory", "mongo-normalized", "mongo-embedded", "jsonl"])
def test_delete_run_capability(backend: str, tmp_path: Path) -> None:
    """[new] Writable stores declare supports_deletes and delete_run removes one run."""
    catalog = storage(backend, tmp_path / "c").catalog()
    write = catalog.serializer()
    keep, drop = _derived_documents(1.0), _derived_documents(2.0)
    for name, doc in keep + drop:
        write(name, doc)
    catalog.force_reload()
    assert catalog._store.supports_deletes
    catalog._store.delete_run(drop[0][1]["uid"])
    catalog.force_reload()
    assert list(catalog) == [keep[0][1]["uid"]]
    assert catalog[keep[0][1]["uid"]].primary.read()["mean"].values.tolist() == [1.0]
