"""Bundles in databroker-pack 0.3.0's layout unpack and open.

The fixture builds the layout by hand, as databroker-pack 0.3.0 writes it (observed by
running its wheel on a catalog): ``catalog.yml`` whose ``root_map`` maps each resource's
rewritten root (a hex token) to ``external_files/<token>``, ``documents/<uid>.msgpack``
listed in ``documents_manifest.txt``, and ``external_files_manifest_<token>.txt`` listing
the copied files relative to the bundle.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import databroker
from databroker._stores.files.writers import MsgpackWriter
from databroker._transfer.report import content_digest

TOKEN = "926c7e8296363bfca68b2178b182618c"


def _pack_03(source: Any, uid: str, bundle: Path) -> None:
    run = source[uid]
    (bundle / "documents").mkdir(parents=True)
    files = bundle / "external_files" / TOKEN
    files.mkdir(parents=True)
    listed = []
    with MsgpackWriter(bundle / "documents") as write:
        for name, doc in run.documents(fill="no"):
            doc = doc.to_dict()
            if name == "resource":
                for path in run.get_file_list(doc):
                    shutil.copy2(path, files / os.path.basename(path))
                    listed.append(f"external_files/{TOKEN}/{os.path.basename(path)}")
                doc["root"] = TOKEN
            write(name, doc)
    (bundle / "documents_manifest.txt").write_text(f"documents/{uid}.msgpack\n")
    (bundle / f"external_files_manifest_{TOKEN}.txt").write_text("\n".join(listed))
    (bundle / "catalog.yml").write_text(
        "sources:\n"
        "  packed_catalog:\n"
        "    args:\n"
        "      paths:\n"
        f"      - {bundle}/documents/*.msgpack\n"
        "      root_map:\n"
        f"        {TOKEN}: external_files/{TOKEN}\n"
        "    driver: bluesky-msgpack-catalog\n"
        "    metadata:\n"
        "      generated_by:\n"
        "        library: databroker_pack\n"
        "        version: 0.3.0\n"
        "      relative_paths:\n"
        "      - ./documents/*.msgpack\n"
    )


def test_databroker_pack_bundle_unpacks(source: Any, tmp_path: Path) -> None:
    """[compat] A databroker-pack 0.3.0 bundle (NPY_SEQ run) opens and unpacks, files re-rooted."""
    uid = next(u for u, r in source.items() if r.file_records()[0].spec == "NPY_SEQ")
    bundle = tmp_path / "packed"
    _pack_03(source, uid, bundle)
    opened = databroker.open_catalog(str(bundle / "catalog.yml"))
    expected = source[uid].primary.read()["img"].values
    assert (opened[uid].primary.read()["img"].values == expected).all()
    target = tmp_path / "target"
    report = databroker.unpack(bundle, target)
    assert report.runs == [uid] and len(report.files) == 3
    unpacked = databroker.open_catalog(target)
    assert (unpacked[uid].primary.read()["img"].values == expected).all()
    assert content_digest(unpacked[uid].documents(fill="no")) == content_digest(
        source[uid].documents(fill="no")
    )
    assert all(r.path.startswith(str(target)) for r in unpacked[uid].file_records())
    assert databroker.unpack(bundle, target).skipped == [uid]
