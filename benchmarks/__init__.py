"""databroker's benchmark suite: ``python -m benchmarks [--scale small|full]``.

Each workload is timed against a floor measured in the same run on the same bytes (the storage
library alone), and the report gives the ratio and the issue's target for each. Targets that
are missed are reported, not failed; a wrong result fails the run.
"""
