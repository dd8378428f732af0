"""Quickstart, notebook style: record a few scans, then find and read them with databroker.

Run with ``python examples/quickstart.py``; each ``# %%`` block is one notebook cell.
"""

# %% Record three scans into a temporary msgpack catalog with a bluesky RunEngine.
from bluesky import RunEngine
from bluesky.plans import count, scan
from ophyd.sim import det, det4, direct_img, motor, motor1, motor2

import databroker.v2

catalog = databroker.v2.temp()
RE = RunEngine({}, call_returns_result=False)
RE.subscribe(catalog.serializer())
RE(scan([det], motor, -1, 1, 11), sample="silicon", operator="ada")
RE(scan([det4], motor1, -1, 1, motor2, -2, 2, 5), sample="germanium", operator="ada")
RE(count([direct_img], 3), sample="silicon", operator="grace")
catalog.force_reload()
print(catalog, len(catalog), "runs")

# %% A table of what is in the catalog, newest first.
print(catalog.summary(["start.scan_id", "start.plan_name", "start.sample", "stop.exit_status"]))

# %% Search with Mongo-style queries on the start documents, and nest searches.
silicon = catalog.search({"sample": "silicon"})
by_ada = silicon.search({"operator": "ada"})
print(len(silicon), "silicon runs;", len(by_ada), "of them by ada")

# %% Read a stream as an xarray Dataset; plot-ready arrays are one attribute away.
run = by_ada[-1]
data = run.primary.read()
print(data)
x, y = data["motor"].values, data["det"].values
print("peak at motor =", x[y.argmax()])

# %% Images: lazily with dask, one frame computed on demand.
images = catalog.search({"plan_name": "count"})[-1].primary.to_dask()["img"]
print(images)
print("frame 0 sum:", float(images[0].sum().compute()))

# %% The documents themselves, in order.
for name, doc in run.documents(fill="no"):
    print(name, str(doc.get("uid", ""))[:8])
