"""Print the table of the most recent motor scan, with its baseline readings.

Usage: ``python examples/v1/scan_table.py [TARGET] [--layout LAYOUT]``

TARGET: a catalog directory or ``mongodb://host:port/dbname`` (see ``_demo.py``).
"""

from _demo import get_broker

db = get_broker()
header = next(iter(db(plan_name="scan")))
print(f"scan {header.start['scan_id']} ({header.uid[:8]}), streams: {header.stream_names}")
print(header.table(fields=["det", "motor"]))
print(header.table("baseline"))
print("exit status:", header.stop.get("exit_status"))
