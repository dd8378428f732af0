"""Extract plot-ready numpy arrays (x, y) from the most recent scan.

Usage: ``python examples/v1/plot_arrays.py [TARGET] [--layout LAYOUT]``

TARGET: a catalog directory or ``mongodb://host:port/dbname`` (see ``_demo.py``).
"""

import numpy as np
from _demo import get_broker

db = get_broker()
header = next(iter(db(plan_name="scan")))
table = header.table(convert_times=False, localize_times=False)
x = table["motor"].to_numpy()
y = table["det"].to_numpy()
print("x:", np.array2string(x, precision=3))
print("y:", np.array2string(y, precision=3))
print("peak at x =", x[np.argmax(y)])
# The same values, event by event, as old scripts read them:
assert np.allclose(list(header.data("det")), y)
