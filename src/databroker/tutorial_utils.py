"""Download the example catalogs the databroker tutorials use (1.x ``databroker.tutorial_utils``).

``fetch_BMM_example()`` (many small XAS runs) and ``fetch_RSOXS_example()`` (one run with
large images; reading its images needs ``area-detector-handlers``) download an archive of a
packed catalog (msgpack documents, as ``databroker-pack`` writes them), unpack it under
``<user data dir>/bluesky_tutorial_data/<name>/`` and install ``<name>.yml`` in intake's user
catalog directory, so that ``databroker.catalog[name]`` finds it at once::

    import databroker.tutorial_utils
    catalog = databroker.tutorial_utils.fetch_BMM_example()
    run = databroker.catalog['bluesky-tutorial-BMM'][23463]

Data already unpacked is reused, not downloaded again (delete its directory to refresh).
Without a network connection a :class:`~databroker.errors.ServerUnreachable` (a
``ConnectionError``) names the URL.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from ._config.discovery import reload_built_catalogs
from .errors import CorruptFileError, InvalidArgument, ServerUnreachable
from .utils import catalog_search_path

__all__ = ["BMM_URL", "RSOXS_URL", "fetch_BMM_example", "fetch_RSOXS_example"]

_HOST = "https://nsls2datasamples.blob.core.windows.net/bluesky-tutorial-example-data"
#: Where ``fetch_BMM_example()`` downloads from by default.
BMM_URL = f"{_HOST}/BMM-example-v1.zip"
#: Where ``fetch_RSOXS_example()`` downloads from by default.
RSOXS_URL = f"{_HOST}/RSOXS-example-v1.zip"
_DRIVERS = {".msgpack": "bluesky-msgpack-catalog", ".jsonl": "bluesky-jsonl-catalog"}


def fetch_BMM_example(
    version: int = 1,
    *,
    url: str | None = None,
    directory: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
) -> Any:
    """Download (once) and install the catalog ``bluesky-tutorial-BMM`` of BMM XAS runs.

    Parameters
    ----------
    version : int
        The version of the example data; only 1 exists.
    url : str, optional
        Where to download the archive (zip or tar) from; default :data:`BMM_URL`.
    directory : path, optional
        Where to unpack it; default ``<user data dir>/bluesky_tutorial_data`` (next to
        intake's user catalog directory).
    timeout : float
        Seconds to wait for the server before giving up.

    Returns
    -------
    databroker.v2.Broker
        The catalog (also ``databroker.catalog['bluesky-tutorial-BMM']``).

    Raises
    ------
    ServerUnreachable
        If the archive cannot be downloaded (no network, HTTP error); names the URL.
    CorruptFileError
        If the download is not a zip or tar archive of a catalog.
    InvalidArgument
        If ``version`` is not 1.
    """
    return _fetch("bluesky-tutorial-BMM", version, url or BMM_URL, directory, timeout)


def fetch_RSOXS_example(
    version: int = 1,
    *,
    url: str | None = None,
    directory: str | os.PathLike[str] | None = None,
    timeout: float = 60.0,
) -> Any:
    """Download (once) and install the catalog ``bluesky-tutorial-RSOXS``: one RSoXS run
    with 1 GB of images.

    Parameters and errors as for :func:`fetch_BMM_example` (default URL :data:`RSOXS_URL`).
    """
    return _fetch("bluesky-tutorial-RSOXS", version, url or RSOXS_URL, directory, timeout)


def _fetch(
    name: str, version: int, url: str, directory: str | os.PathLike[str] | None, timeout: float
) -> Any:
    if version != 1:
        raise InvalidArgument(f"Only version 1 of the {name} example exists, not {version!r}.")
    root = Path(directory) if directory is not None else _data_dir()
    target = root / name
    if not target.is_dir():
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=f".{name}-") as scratch:
            archive = Path(scratch, "download")
            _download(url, archive, timeout)
            unpacked = Path(scratch, "unpacked")
            _unpack(archive, url, unpacked)
            # Renamed whole, so an interrupted fetch never leaves a half-filled target.
            os.replace(unpacked, target)
    return _install(name, target)


def _data_dir() -> Path:
    return Path(catalog_search_path()[0]).parent / "bluesky_tutorial_data"


def _download(url: str, destination: Path, timeout: float) -> None:
    hint = "Check the network connection, or pass url= a reachable copy of the archive."
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout) as response,
            destination.open("wb") as out,
        ):
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as error:
        raise ServerUnreachable(
            f"Downloading the example data from {url} failed: HTTP {error.code} {error.reason}. "
            f"{hint}"
        ) from None
    except urllib.error.URLError as error:
        raise ServerUnreachable(
            f"Cannot download the example data from {url}: {error.reason}. {hint}"
        ) from None
    except ValueError as error:  # not a URL urllib can open
        raise InvalidArgument(f"Cannot download from {url!r}: {error}.") from None
    except OSError as error:  # timeouts and resets while reading
        raise ServerUnreachable(
            f"Downloading the example data from {url} was interrupted: {error}. {hint}"
        ) from None


def _unpack(archive: Path, url: str, destination: Path) -> None:
    """Extract a zip or tar archive; members may not leave ``destination``."""
    destination.mkdir()
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.namelist():
                    if not _inside(destination, member):
                        raise CorruptFileError(
                            f"The archive from {url} holds {member!r}, outside its directory.",
                            path=url,
                        )
                zipped.extractall(destination)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tarred:
                tarred.extractall(destination, filter="data")  # refuses paths leaving it
        else:
            raise CorruptFileError(
                f"The download from {url} is not a zip or tar archive.", path=url
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        raise CorruptFileError(
            f"The archive downloaded from {url} is damaged: {error}.", path=url
        ) from None


def _inside(directory: Path, member: str) -> bool:
    resolved = (directory / member).resolve()
    return resolved == directory.resolve() or directory.resolve() in resolved.parents


def _install(name: str, target: Path) -> Any:
    """Write ``<intake user dir>/<name>.yml`` for the unpacked catalog; return the catalog."""
    import intake
    import yaml

    entry = _packed_entry(name, target) or _discovered_entry(name, target)
    catalog_dir = Path(catalog_search_path()[0])
    catalog_dir.mkdir(parents=True, exist_ok=True)
    path = catalog_dir / f"{name}.yml"
    path.write_text(yaml.safe_dump({"sources": {name: entry}}, sort_keys=False))
    reload_built_catalogs()  # databroker.catalog sees the new file at once
    return intake.open_catalog(str(path))[name]


def _packed_entry(name: str, target: Path) -> dict[str, Any] | None:
    """The entry of the archive's own catalog file, with its paths made absolute."""
    import yaml

    files = sorted(target.glob("*.yml")) + sorted(target.glob("*/*.yml"))
    for file in files:
        try:
            sources = (yaml.safe_load(file.read_text()) or {}).get("sources") or {}
        except (OSError, yaml.YAMLError, AttributeError):
            continue  # not an intake catalog
        if not isinstance(sources, dict) or not sources:
            continue
        entry = dict(sources.get(name) or next(iter(sources.values())))
        args = dict(entry.get("args") or {})
        base = file.parent
        paths = args.get("paths")
        if paths is not None:
            paths = [paths] if isinstance(paths, str) else list(paths)
            args["paths"] = [_absolute(base, p) for p in paths]
        if isinstance(args.get("root_map"), dict):
            args["root_map"] = {k: _absolute(base, v) for k, v in args["root_map"].items()}
        entry["args"] = args
        return entry
    return None


def _absolute(base: Path, value: Any) -> str:
    """``value`` made absolute against ``base`` (intake's ``{{ CATALOG_DIR }}`` too)."""
    text = str(value)
    for template in ("{{ CATALOG_DIR }}", "{{CATALOG_DIR}}"):
        text = text.replace(template, f"{base}/")
    return os.path.normpath(base / text)  # an absolute text stays as it is


def _discovered_entry(name: str, target: Path) -> dict[str, Any]:
    """An entry over the document files of an archive without a catalog file."""
    for suffix, driver in _DRIVERS.items():
        folders = sorted({path.parent for path in target.rglob(f"*{suffix}")})
        if folders:
            return {
                "description": f"databroker tutorial example data ({name})",
                "driver": driver,
                "args": {"paths": [str(folder / f"*{suffix}") for folder in folders]},
            }
    raise CorruptFileError(
        f"The example data unpacked in {target} has no catalog file and no .msgpack or .jsonl "
        "documents. Delete that directory and fetch again.",
        path=str(target),
    )
