"""Seeded fuzzing of suitcase-written run files: our error or correct data, never a bare one,
and the other runs of the directory list and read as before (issue 12).

Each case mutates ONE file of a directory of several runs (written by suitcase-msgpack or
suitcase-jsonl from a RunEngine with ophyd.sim, one with an image detector writing external
files): byte flips, truncations, inserted garbage, swapped, duplicated or dropped documents,
and bad values in the fields readers depend on. Every read path is then exercised.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest

from databroker.errors import DatabrokerError, DatabrokerWarning

FORMATS = ("msgpack", "jsonl")
#: Seeds run by default (each a few hundred mutations per format, under ~30 s in all).
SEEDS = list(range(200))
#: Seeds of the slow variant, run when this environment variable is set.
SLOW_SEEDS = list(range(200, 2200))
SLOW_VARIABLE = "DATABROKER_SLOW_FUZZ"


# -- the runs -------------------------------------------------------------------------------


def _record(directory: Path, file_format: str, external: Path) -> list[str]:
    """Record three runs (one with external image files) into ``directory``; return uids."""
    import suitcase.jsonl
    import suitcase.msgpack
    from bluesky import RunEngine
    from bluesky.plans import count, scan
    from ophyd.sim import SynSignalWithRegistry, det, det1, motor

    camera = SynSignalWithRegistry(
        name="camera", func=lambda: np.ones((4, 3)), save_path=str(external)
    )
    serializer_class = {"msgpack": suitcase.msgpack.Serializer, "jsonl": suitcase.jsonl.Serializer}
    uids: list[str] = []
    engine = RunEngine({}, call_returns_result=False)
    plans = [
        (scan([det], motor, -1, 1, 3), {"sample": "silicon"}),
        (count([det1, camera], num=3), {"sample": "quartz"}),
        (scan([det, det1], motor, 0, 2, 4), {"sample": "gold"}),
    ]
    for plan, metadata in plans:
        serializer = serializer_class[file_format](str(directory))
        token = engine.subscribe(serializer)
        uids.extend(engine(plan, **metadata))  # type: ignore[arg-type]
        engine.unsubscribe(token)
        serializer.close()
    return uids


def _open(directory: Path, file_format: str) -> Any:
    from databroker._drivers.jsonl import BlueskyJSONLCatalog
    from databroker._drivers.msgpack import BlueskyMsgpackCatalog

    catalog_class = {"msgpack": BlueskyMsgpackCatalog, "jsonl": BlueskyJSONLCatalog}
    return catalog_class[file_format](str(directory / f"*.{file_format}"))


def _plain(value: Any) -> Any:
    """A comparable copy of documents and datasets (arrays as lists)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _read_everything(catalog: Any, uid: str) -> dict[str, Any]:
    """Every read path of one run, as comparable values."""
    run = catalog[uid]
    result: dict[str, Any] = {"metadata": _plain(dict(run.metadata))}
    result["streams"] = sorted(run)
    for name in result["streams"]:
        dataset = run[name].read()
        result[name] = {key: _plain(dataset[key].values) for key in dataset.variables}
    result["documents"] = [
        (name, sorted(doc)) for name, doc in run.documents(fill="no")
    ]  # keys only: pages of singles may be merged differently but carry the same keys
    return result


def _read_v1(catalog: Any, uid: str) -> Any:
    table = catalog.v1[uid].table()
    return _plain(table.to_dict())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Per format: the directory of runs, their uids and files, and what reading them gave."""
    result: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for file_format in FORMATS:
            root = tmp_path_factory.mktemp(f"fuzz-{file_format}")
            directory = root / "runs"
            directory.mkdir()
            uids = _record(directory, file_format, root)
            catalog = _open(directory, file_format)
            files = {uid: catalog._store.path_of(uid) for uid in uids}
            expected = {uid: _read_everything(catalog, uid) for uid in uids}
            result[file_format] = {
                "directory": directory,
                "uids": uids,
                "files": files,
                "expected": expected,
            }
    return result


# -- the mutations -----------------------------------------------------------------------


def _decode_file(data: bytes, file_format: str) -> list[list[Any]]:
    if file_format == "jsonl":
        return [json.loads(line) for line in data.splitlines() if line.strip()]
    import msgpack_numpy

    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, object_hook=msgpack_numpy.decode)
    unpacker.feed(data)
    return list(unpacker)


def _encode_file(records: list[list[Any]], file_format: str) -> bytes:
    if file_format == "jsonl":
        return b"".join(
            (json.dumps(record, default=_json_default) + "\n").encode() for record in records
        )
    import msgpack_numpy

    return b"".join(
        msgpack.packb(record, default=msgpack_numpy.encode, use_bin_type=True) for record in records
    )


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(type(obj))


_BAD_VALUES: list[Any] = [
    "oops",
    "",
    [],
    {},
    None,
    math.nan,
    math.inf,
    -1,
    2**63,
    2**64 + 1,
    10**400,
    True,
    [1, 2],
    {"a": 1},
    1.5,
]
_FIELDS_BY_NAME = {
    "start": ["time", "uid", "scan_id", "plan_name", "hints"],
    "descriptor": ["time", "uid", "run_start", "name", "data_keys", "configuration", "hints"],
    "event": ["time", "uid", "seq_num", "data", "timestamps", "descriptor", "filled"],
    "event_page": ["time", "uid", "seq_num", "data", "timestamps", "descriptor", "filled"],
    "resource": ["uid", "spec", "root", "resource_path", "resource_kwargs", "run_start"],
    "datum": ["datum_id", "resource", "datum_kwargs"],
    "datum_page": ["datum_id", "resource", "datum_kwargs"],
    "stop": ["time", "uid", "run_start", "exit_status", "num_events"],
}


def _bad_field(records: list[list[Any]], rng: random.Random) -> str:
    index = rng.randrange(len(records))
    name, doc = records[index]
    fields = _FIELDS_BY_NAME.get(name, list(doc))
    field = rng.choice(fields)
    action = rng.random()
    if action < 0.15:
        doc.pop(field, None)
        return f"{name}.{field} removed"
    value: Any = copy.deepcopy(rng.choice(_BAD_VALUES))
    target = doc
    if isinstance(doc.get(field), dict) and doc[field] and rng.random() < 0.5:
        target = doc[field]
        field = rng.choice(sorted(target))
    elif isinstance(doc.get(field), list) and doc[field] and rng.random() < 0.5:
        target = doc[field]
        field = rng.randrange(len(target))
    target[field] = value
    return f"{name}: {field!r} = {value!r:.30}"


def _mutate(data: bytes, file_format: str, rng: random.Random) -> tuple[bytes, str]:
    """Return mutated file bytes and a description of the mutation."""
    kind = rng.choice(
        ["flip", "flip", "truncate", "garbage", "swap", "duplicate", "drop", "field", "field"]
    )
    if kind == "flip":
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
        return bytes(buffer), "byte flips"
    if kind == "truncate":
        at = rng.randrange(len(data))
        return data[:at], f"truncated at {at}"
    if kind == "garbage":
        at = rng.randrange(len(data) + 1)
        garbage = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
        if rng.random() < 0.3:
            garbage = rng.choice([b"\n", b"[]\n", b'["event", 3]\n', b"\xc1", b"\x92\xa4stop"])
        return data[:at] + garbage + data[at:], f"garbage {garbage!r} at {at}"
    records = _decode_file(data, file_format)
    if kind == "swap":
        i, j = rng.randrange(len(records)), rng.randrange(len(records))
        records[i], records[j] = records[j], records[i]
        description = f"swapped documents {i} and {j}"
    elif kind == "duplicate":
        i = rng.randrange(len(records))
        records.insert(rng.randrange(len(records) + 1), copy.deepcopy(records[i]))
        description = f"duplicated document {i}"
    elif kind == "drop":
        i = rng.randrange(len(records))
        del records[i]
        description = f"dropped document {i}"
    else:
        description = _bad_field(records, rng)
    try:
        return _encode_file(records, file_format), description
    except (TypeError, ValueError, OverflowError):  # not encodable in this format
        return data, f"{description} (not encodable: unchanged)"


# -- the check -----------------------------------------------------------------------------


class BareError(AssertionError):
    """A read raised something that is not ours."""


def _ours(action: Callable[[], Any], what: str) -> Any:
    """Run ``action``; our errors give None, any other exception fails with context."""
    try:
        return action()
    except DatabrokerError:
        return None
    except Exception as error:
        raise BareError(f"{what}: {type(error).__name__}: {error}") from error


def _check_one(recorded: dict[str, Any], file_format: str, seed: int, tmp: Path) -> str:
    """Mutate one run file; return how the mutated run read ('error' or 'data')."""
    rng = random.Random(seed)
    info = recorded[file_format]
    victim = rng.choice(info["uids"])
    directory = tmp / f"{file_format}-{seed}"
    shutil.copytree(info["directory"], directory)
    path = directory / os.path.basename(info["files"][victim])
    mutated, description = _mutate(path.read_bytes(), file_format, rng)
    path.write_bytes(mutated)
    context = f"{file_format} seed {seed}, {description} in the file of {victim}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        catalog = _ours(lambda: _open(directory, file_format), f"{context}: opening")
        assert catalog is not None, f"{context}: the catalog does not open"
        listed = _ours(lambda: list(catalog), f"{context}: list(cat)")
        assert listed is not None, f"{context}: list(cat) raised our error"
        for uid in info["uids"]:
            if uid == victim:
                continue
            assert uid in listed, f"{context}: the intact run {uid} is not listed"
            got = _ours(lambda uid=uid: _read_everything(catalog, uid), context)
            assert got == info["expected"][uid], f"{context}: the intact run {uid} reads wrong"
        outcome = "skipped"
        for uid in listed:
            if uid in info["uids"] and uid != victim:
                continue
            got = _ours(lambda uid=uid: _read_everything(catalog, uid), f"{context}: reading")
            _ours(lambda uid=uid: _read_v1(catalog, uid), f"{context}: v1 table()")
            outcome = "error" if got is None else "data"
    foreign = [w for w in caught if not _expected_warning(w)]
    assert not foreign, f"{context}: warnings not ours: {[str(w.message) for w in foreign]}"
    return outcome


def _expected_warning(caught: warnings.WarningMessage) -> bool:
    """Ours (a descriptor without a name included), or a deprecation."""
    return issubclass(caught.category, DatabrokerWarning | DeprecationWarning)


@pytest.mark.parametrize("file_format", FORMATS)
def test_mutated_file_gives_our_error_or_data_and_spares_the_others(
    recorded: dict[str, Any], file_format: str, tmp_path: Path
) -> None:
    """[fix] A mutated run file reads as data or raises our error; the other runs read as
    before (seeded mutations, a few hundred per format)."""
    for seed in SEEDS:
        _check_one(recorded, file_format, seed, tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get(SLOW_VARIABLE), reason=f"thousands of mutations: set {SLOW_VARIABLE}=1"
)
@pytest.mark.parametrize("file_format", FORMATS)
def test_mutated_file_many_seeds(
    recorded: dict[str, Any], file_format: str, tmp_path: Path
) -> None:
    """[fix] The same as the quick fuzz test, over thousands of seeds."""
    for seed in SLOW_SEEDS:
        _check_one(recorded, file_format, seed, tmp_path)
        shutil.rmtree(tmp_path / f"{file_format}-{seed}")
