"""``databroker ls``: runs newest first as one table, or JSON; queries and time bounds."""

from __future__ import annotations

import json

from .conftest import run_command


def test_ls_demo_catalog_table(demo_runs: str) -> None:
    """[new] ls prints one row per run, newest first, with scan_id, plan, exit and streams."""
    result = run_command("ls", demo_runs)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.strip().splitlines()
    assert header.split() == ["uid", "scan_id", "plan", "start", "duration", "exit", "streams"]
    assert [row.split()[1] for row in rows] == ["3", "2", "1"]
    assert all("success" in row and "primary" in row for row in rows)


def test_ls_json_query_limit_and_fields(demo_runs: str) -> None:
    """[new] ls --json parses; key=value queries, --limit and --fields (options anywhere)."""
    result = run_command(
        "ls", demo_runs, "--json", "sample=silicon", "--fields", "start.sample,stop.reason"
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["scan_id"] for row in rows] == [3, 1]
    assert rows[0]["fields"] == {"start.sample": "silicon", "stop.reason": ""}
    assert rows[0]["streams"] == ["primary"] and rows[0]["exit_status"] == "success"
    assert rows[0]["duration"] >= 0
    limited = json.loads(run_command("ls", demo_runs, "--json", "--limit", "1").stdout)
    assert [row["scan_id"] for row in limited] == [3]


def test_ls_json_query_and_time_bounds(demo_runs: str) -> None:
    """[new] A JSON QUERY and --since/--until select runs; a future --since selects none."""
    query = json.dumps({"scan_id": {"$gte": 2}})
    rows = json.loads(run_command("ls", demo_runs, query, "--json", "--since", "2000").stdout)
    assert [row["scan_id"] for row in rows] == [3, 2]
    result = run_command("ls", demo_runs, "--since", "2999-01-01")
    assert result.returncode == 0 and result.stdout.strip() == "No runs."


def test_ls_bad_query_is_usage_error(demo_runs: str) -> None:
    """[new] A QUERY that is neither JSON nor key=value, or a bad --fields, exits 2."""
    assert run_command("ls", demo_runs, "nonsense").returncode == 2
    assert run_command("ls", demo_runs, "--fields", "sample").returncode == 2


def test_ls_suitcase_folder(suitcase_dir) -> None:
    """[new] ls reads a folder written by suitcase-jsonl / suitcase-msgpack (format guessed)."""
    directory, uids = suitcase_dir
    rows = json.loads(run_command("ls", directory, "--json").stdout)
    assert [row["uid"] for row in rows] == uids[::-1]
    assert [row["plan_name"] for row in rows] == ["count", "scan"]


def test_ls_mongo(mongo_uri, run_here) -> None:
    """[new] ls lists a mongomock-backed catalog (layout detected) from the bulk listing."""
    uri, uids = mongo_uri
    result = run_here("ls", uri, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["uid"] for row in rows] == uids[::-1]
    assert rows[0]["streams"] == ["primary"]
    table = run_here("ls", uri, "sample=quartz")
    assert table.returncode == 0
    assert len(table.stdout.strip().splitlines()) == 2
