"""Arrow tables of datasets written from their columns: the very table Tiled writes."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from .conftest import Served

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def _tables(node: Any) -> tuple[Any, Any]:
    """(ours, Tiled's) Arrow tables of a dataset adapter, read back from the bytes."""
    import pyarrow as pa
    from tiled.serialization.xarray import serialize_dataset_arrow as tiled_serializer

    from databroker._tiled.serializers import ARROW, serialize_dataset_arrow

    metadata = node.metadata()
    ours = asyncio.run(serialize_dataset_arrow(ARROW, node, metadata, None))
    theirs = asyncio.run(tiled_serializer(ARROW, node, metadata, None))
    return pa.ipc.open_file(ours).read_all(), pa.ipc.open_file(theirs).read_all()


def _adapter(**variables: Any) -> Any:
    import xarray
    from tiled.adapters.xarray import DatasetAdapter

    return DatasetAdapter.from_dataset(
        xarray.Dataset(
            data_vars={k: v for k, v in variables.items() if not k.startswith("c_")},
            coords={k[2:]: v for k, v in variables.items() if k.startswith("c_")},
        )
    )


@pytest.mark.parametrize(
    "fields",
    [None, ["time"], ["x"], ["x", "y"], ["y", "time", "x"]],
    ids=["all", "time", "x", "x-y", "mixed-order"],
)
def test_stream_table_equals_tiled_table(tmp_path: Any, fields: list[str] | None) -> None:
    """[new] A stream's data (or a choice of its fields, as the client asks) is written as
    the table Tiled writes: same columns, order, index column, pandas metadata, values."""
    from databroker._tiled import tree

    served = Served("msgpack", tmp_path)
    data = tree(catalog=served.catalog)[served.scalar_uids[1]]["primary"]["data"]
    ours, theirs = _tables(data.read(fields=fields))
    assert ours.equals(theirs, check_metadata=True)
    assert ours.schema.metadata == theirs.schema.metadata
    served.close()


def test_other_dtypes_and_coordinates_equal_tiled_table() -> None:
    """[new] Integer, bool and unsigned columns, a non-index coordinate, no dimension
    coordinate (a 0..n-1 index): the same table as Tiled's."""
    n = 7
    node = _adapter(
        a=("time", np.arange(n, dtype=np.int32)),
        b=("time", np.arange(n) % 2 == 0),
        c=("time", np.arange(n, dtype=np.uint16)),
        c_seq=("time", np.arange(n, dtype=np.int64) + 1),
    )
    ours, theirs = _tables(node)
    assert ours.equals(theirs, check_metadata=True)


def test_multidimensional_and_text_datasets_go_to_tiled() -> None:
    """[new] A dataset with a 2-D variable or text is written by Tiled's own serializer."""
    from databroker._tiled.serializers import _columns, dataset_table

    for node in (
        _adapter(a=(("time", "x"), np.zeros((3, 2))), c_time=("time", np.arange(3.0))),
        _adapter(a=("time", np.array(["p", "q", "r"])), c_time=("time", np.arange(3.0))),
    ):
        assert dataset_table(asyncio.run(_columns(node))) is None
        ours, theirs = _tables(node)
        assert ours.equals(theirs, check_metadata=True)


def test_client_reads_the_same_stream(tmp_path: Any) -> None:
    """[new] Through the served app (our Arrow tables), the stock client's stream read equals
    the local read."""
    from tiled.client import from_context
    from tiled.client.context import Context

    from databroker._tiled import build_app, tree

    served = Served("msgpack", tmp_path)
    context = Context.from_app(build_app(tree(catalog=served.catalog), api_key="k"))
    uid = served.scalar_uids[2]
    remote = from_context(context)[uid].primary.read()
    local = served.catalog[uid].primary.read()
    for name in ("x", "y", "time"):
        np.testing.assert_array_equal(remote[name].values, local[name].values)
    context.close()
    served.close()
