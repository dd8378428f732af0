"""A RunEngine writing runs into a directory of run files, run as its own process.

``python -m tests.live_runs.writer DIRECTORY [--format msgpack|jsonl] [--runs N]
[--events M] [--delay S] [--tag T]``: each run is ``count([det], num=M, delay=S)`` of
ophyd.sim's ``det`` with ``tag`` in its start document; ``--hang-after K`` stops writing
(and sleeps) after the K-th event of the first run, as a writer that froze or died, until
the file ``--gate`` exists (if given).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--format", default="msgpack", choices=["msgpack", "jsonl"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--tag", default="")
    parser.add_argument("--hang-after", type=int, default=None)
    parser.add_argument("--gate", default=None, help="with --hang-after: go on once it exists")
    args = parser.parse_args(argv)

    from bluesky import RunEngine
    from bluesky.plans import count
    from ophyd.sim import det

    from databroker._stores.files.writers import JSONLWriter, MsgpackWriter

    writer = (MsgpackWriter if args.format == "msgpack" else JSONLWriter)(args.directory)
    events = 0

    def write(name: str, doc: dict) -> None:
        nonlocal events
        writer(name, doc)
        if name == "event":
            events += 1
            if args.hang_after is not None and events == args.hang_after:
                print("hanging", flush=True)
                end = time.monotonic() + 3600
                while time.monotonic() < end:
                    if args.gate is not None and os.path.exists(args.gate):
                        break
                    time.sleep(0.01)

    engine = RunEngine({}, call_returns_result=False)
    engine.subscribe(write)
    for index in range(args.runs):
        engine(count([det], num=args.events, delay=args.delay), tag=args.tag, index=index)
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
