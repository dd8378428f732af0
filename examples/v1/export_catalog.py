"""Copy the runs of one catalog, with their external files, into another.

Usage: ``python examples/v1/export_catalog.py [TARGET] [--layout LAYOUT]``

TARGET: a catalog directory or ``mongodb://host:port/dbname`` (see ``_demo.py``).
"""

import tempfile
from pathlib import Path

from _demo import get_broker, open_catalog

db = get_broker()
destination = Path(tempfile.mkdtemp(prefix="databroker-export-"))
(destination / "runs").mkdir()
target = open_catalog(str(destination / "runs"))
headers = list(db())
print(f"exporting {len(headers)} runs, {db.export_size(headers) * 1e3:.3f} MB of files")
copied = db.export(headers, target, new_root=str(destination / "files"))
print(f"copied {len(copied)} files into {destination / 'files'}")
print("runs in the new catalog:", sorted(h.start["scan_id"] for h in target()))
