"""The documentation works: every code block of README.md and docs/ runs, the site builds.

Each page's ``python`` blocks run in order, in one fresh interpreter per page, in a directory
where ``databroker demo --directory databroker-demo-data`` has been run (once per test
session) and beside a copy of ``catalogs/``, with a home directory of its own (so no config
file of this machine is seen). Markers in the markdown, an HTML comment on the line before a
block:

- ``<!-- skip-test: why -->``: the block is not run (it needs a MongoDB server, ...); the
  test skips it and says why;
- ``<!-- file: NAME -->``: the block (YAML, ...) is written to ``NAME`` in the page's
  directory before its python blocks run;
- ``<!-- exit-status: N -->``: an ``sh`` block of ``databroker ...`` commands exits with N
  (default 0).

``sh`` blocks whose every command starts with ``databroker `` run too (through
``python -m databroker``); other ``sh`` blocks are installation and development commands.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
TIMEOUT = 600

_FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*(?P<key>skip-test|file|exit-status):\s*(?P<value>.*?)\s*-->$")

#: The two set-up commands CI runs from the top of README.md (.ci/run), verbatim.
README_COMMANDS = [
    'python -m pip install -e ".[demo]" && databroker demo',
    'python -m pip install -e ".[test]" && python -m pytest -q',
]


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced code block of a markdown page, with the markers before it."""

    page: Path
    line: int  # of the first line of code, 1-based
    lang: str
    code: str
    markers: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Return the fenced code blocks of ``page``, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    markers: dict[str, str] = {}
    index = 0
    while index < len(lines):
        text = lines[index].strip()
        marker = _MARKER.match(text)
        fence = _FENCE.match(lines[index])
        if marker:
            markers[marker["key"]] = marker["value"]
        elif fence:
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(Block(page, index + 2, fence["lang"], code, markers))
            markers = {}
            index = end
        elif text:
            markers = {}  # a marker applies to the block right after it only
        index += 1
    return found


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _is_cli_block(block: Block) -> bool:
    commands = [line for line in block.code.splitlines() if line.strip()]
    return (
        block.lang in ("sh", "console")
        and bool(commands)
        and all(command.startswith(("databroker ", "#")) for command in commands)
    )


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]
SKIPPED = [block for block in ALL_BLOCKS if "skip-test" in block.markers]
PYTHON_PAGES = sorted(
    {block.page for block in ALL_BLOCKS if block.lang == "python" and block not in SKIPPED}
)
CLI_BLOCKS = [block for block in ALL_BLOCKS if _is_cli_block(block) and block not in SKIPPED]

# Runs a page's blocks in one namespace; a traceback names the page and the block's line.
_RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for where, line, code in json.load(open(sys.argv[1], encoding="utf-8")):
    exec(compile("\\n" * (line - 1) + code, where.rsplit(":", 1)[0], "exec"), namespace)
"""


@pytest.fixture(scope="session")
def demo_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``databroker-demo-data`` (the demo run once) and ``catalogs/``."""
    directory = tmp_path_factory.mktemp("docs-demo")
    result = subprocess.run(
        [sys.executable, "-m", "databroker", "demo", "--directory", "databroker-demo-data"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shutil.copytree(ROOT / "catalogs", directory / "catalogs")
    return directory


def _page_directory(demo_directory: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A working directory for one page (the demo data linked in) and its environment."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("databroker-demo-data", "catalogs"):
        (work / name).symlink_to(demo_directory / name, target_is_directory=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABROKER_", "INTAKE_", "XDG_"))
    }
    env.update(HOME=str(home), MPLBACKEND="Agg", COLUMNS="100")
    return work, env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=_page_id)
def test_python_blocks_run(page: Path, demo_directory: Path, tmp_path: Path) -> None:
    """[new] Every python block of a page runs, in order, after `databroker demo` (issue 13)."""
    work, env = _page_directory(demo_directory, tmp_path)
    page_blocks = [block for block in blocks(page) if block not in SKIPPED]
    for block in page_blocks:
        if "file" in block.markers:
            (work / block.markers["file"]).write_text(block.code, encoding="utf-8")
    script = [
        (block.where, block.line, block.code) for block in page_blocks if block.lang == "python"
    ]
    (tmp_path / "blocks.json").write_text(json.dumps(script), encoding="utf-8")
    result = _run([sys.executable, "-c", _RUNNER, str(tmp_path / "blocks.json")], work, env)
    assert result.returncode == 0, f"{_page_id(page)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("block", CLI_BLOCKS, ids=lambda block: block.where)
def test_command_line_blocks_run(block: Block, demo_directory: Path, tmp_path: Path) -> None:
    """[new] Every `databroker ...` command shown in the docs runs with the status shown."""
    work, env = _page_directory(demo_directory, tmp_path)
    for other in blocks(block.page):
        if "file" in other.markers:
            (work / other.markers["file"]).write_text(other.code, encoding="utf-8")
    env["PWD"] = str(work)
    expected = int(block.markers.get("exit-status", "0"))
    for line in block.code.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        # Through a shell, as a user types it ($PWD, quotes); `databroker` is this Python's.
        command = f"{shlex.quote(sys.executable)} -m {line}"
        result = subprocess.run(
            command,
            shell=True,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert result.returncode == expected, (
            f"{block.where}: `{line}` exited {result.returncode}, not {expected}:\n"
            f"{result.stdout}\n{result.stderr}"
        )


@pytest.mark.parametrize("block", SKIPPED, ids=lambda block: block.where)
def test_skipped_blocks(block: Block) -> None:
    """[new] A block marked skip-test is not run, and says why (e.g. a MongoDB server)."""
    reason = block.markers["skip-test"]
    assert reason, f"{block.where}: a skip-test marker must say why the block is not run"
    pytest.skip(f"{block.where}: {reason}")


def test_no_private_names_in_examples() -> None:
    """[fix] No code block of the README or docs, and no example script, uses a private name
    (`databroker._drivers...`, `_get_serializer()`): users copy what they see."""
    private = re.compile(r"\bdatabroker\._\w+|\b_get_serializer\b|\bfrom \._")
    offenders = [
        f"{block.where}: {match.group()}"
        for block in ALL_BLOCKS
        for match in private.finditer(block.code)
    ]
    for script in sorted((ROOT / "examples").rglob("*.py")):
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), 1):
            offenders += [
                f"{script.relative_to(ROOT)}:{number}: {m.group()}" for m in private.finditer(line)
            ]
    assert offenders == []


def test_readme_starts_with_the_ci_commands() -> None:
    """[compat] README.md's first two sh blocks are the demo and test commands .ci/run runs."""
    sh_blocks = [block.code.strip() for block in blocks(ROOT / "README.md") if block.lang == "sh"]
    assert sh_blocks[:2] == README_COMMANDS
    assert "README.md" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_page_is_in_the_nav() -> None:
    """[new] Every page of docs/ (but pages other sessions are still writing) is in mkdocs.yml."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", config, re.M))
    pages = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")}
    assert pages - listed <= {"live-data.md"}, sorted(pages - listed)
    assert listed <= pages, sorted(listed - pages)


def _load_cli_generator() -> object:
    spec = importlib.util.spec_from_file_location("gen_cli", DOCS / "gen_cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date() -> None:
    """[new] docs/cli.md is what docs/gen_cli.py renders from the parser (a new sub-command
    or option means: run `python docs/gen_cli.py`)."""
    generator = _load_cli_generator()
    expected = generator.render()  # type: ignore[attr-defined]
    current = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert current == expected, (
        "docs/cli.md is out of date with databroker.cli.main.build_parser(); regenerate it "
        "with `python docs/gen_cli.py` and commit the result."
    )


def test_cli_reference_lists_every_sub_command() -> None:
    """[new] The command-line reference has a section for each sub-command of the parser."""
    from databroker.cli.main import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name in commands.choices:  # type: ignore[attr-defined]
        assert f"\n## `databroker {name}`\n" in text


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """[new] `mkdocs build --strict` builds the site without a warning (API pages included)."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    result = _run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        ROOT,
        dict(os.environ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "how-to" / "open-data" / "index.html").is_file()
