"""Live data, notebook style: read runs while a RunEngine writes them, never missing one.

Run with ``python examples/live_watch.py``. A RunEngine in a background thread (in practice
another process, or another machine sharing the directory) writes two counts into a msgpack
directory; this script waits for each new run, follows its primary stream with a cursor and
prints every row as it is written. Each ``# %%`` block is one notebook cell.
"""

# %% A msgpack directory, and the token that marks "now" (runs after it are ours).
import tempfile
import threading
import time

from bluesky import RunEngine
from bluesky.plans import count
from ophyd.sim import det

from databroker import open_catalog
from databroker.errors import EndOfStream, NoRunAvailable

directory = tempfile.mkdtemp(prefix="live-")
catalog = open_catalog(directory, backend="msgpack")
try:
    catalog.get_next_run(block=False)
except NoRunAvailable as nothing_yet:
    token = nothing_yet.token  # where the next call continues: nothing is missed


# %% The experiment: a RunEngine writing two counts from another thread.
def experiment() -> None:
    RE = RunEngine({}, call_returns_result=False, context_managers=[])
    RE.subscribe(open_catalog(directory, backend="msgpack").serializer())
    for points in (5, 8):
        RE(count([det], num=points, delay=0.1), sample="silicon")


writer = threading.Thread(target=experiment, daemon=True)
writer.start()


# %% Wait for each new run and print its rows as they arrive.
def primary_of(run, timeout=30.0):
    """The run's primary stream, once its first descriptor is written."""
    end = time.monotonic() + timeout
    while "primary" not in list(run) and time.monotonic() < end:
        time.sleep(0.02)
    return run.primary


for _ in range(2):
    token, run = catalog.get_next_run(token, timeout=60)
    print(f"run {run.uid[:8]} is {run.state}")
    cursor = primary_of(run).cursor()
    while True:
        try:
            first, rows = cursor.read(timeout=30)
        except EndOfStream:
            break
        for offset, value in enumerate(rows["det"].values):
            print(f"  row {first + offset}: det = {value:.4f}")
    print(f"run {run.uid[:8]} ended: {run.wait(timeout=30)}")
writer.join(30)

# %% A stream is also an array of the rows written so far.
stream = catalog.get_last_run().primary
print(len(stream), "rows; the last one:", float(stream[-1]["det"].values[0]))
try:
    stream[len(stream)]
except IndexError as error:  # IndexWontBeThere: the run has ended
    print(type(error).__name__, "-", error)
