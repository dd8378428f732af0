"""Find runs in a time window and by metadata.

Usage: ``python examples/v1/search_time_window.py [TARGET] [--layout LAYOUT]``

TARGET: a catalog directory or ``mongodb://host:port/dbname`` (see ``_demo.py``).
"""

import time

from _demo import get_broker

db = get_broker()
today = time.strftime("%Y-%m-%d")
for header in db(since=today, sample="Si"):
    start = header.start
    started = time.strftime("%H:%M:%S", time.localtime(start["time"]))
    print(f"{started}  scan {start['scan_id']:>3}  {start['plan_name']:<6}  {start.get('purpose')}")
print("runs with an image field:", [h.start["scan_id"] for h in db(data_key="img")])
