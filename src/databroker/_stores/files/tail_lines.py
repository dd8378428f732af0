"""The last lines of a file, read backwards in blocks (1.x's ``databroker._drivers.jsonl.tail``).

Only the end of the file is read, so finding the last documents of a long JSONL run costs
a few blocks, not the whole file.
"""

from __future__ import annotations

import os

from ...errors import CorruptFileError, InvalidArgument

__all__ = ["tail"]


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"tail() needs an integer {name} >= {minimum}, not {value!r}.")
    return value


def tail(filename: str | os.PathLike[str], n: int = 1, bsize: int = 2048) -> list[str]:
    """Return the last ``n`` lines of a text file, oldest first.

    Parameters
    ----------
    filename : str or os.PathLike
        The file (UTF-8, lines ending in ``\\n`` or ``\\r\\n``).
    n : int
        How many lines; fewer are returned if the file has fewer. 0 gives ``[]``.
    bsize : int
        How many bytes to read at a time, going backwards from the end.

    Returns
    -------
    list of str
        The lines without their line endings. A final newline ends the last line; it does
        not start an empty one.

    Raises
    ------
    InvalidArgument
        If ``n`` or ``bsize`` is not an integer (``n >= 0``, ``bsize >= 1``).
    CorruptFileError
        If the lines read are not UTF-8 (names the file and byte offset).
    OSError
        If the file cannot be opened (``FileNotFoundError`` names it).
    """
    n = _check_int("n", n, 0)
    bsize = _check_int("bsize", bsize, 1)
    if n == 0:
        return []
    with open(filename, "rb") as file:
        position = file.seek(0, os.SEEK_END)
        data = b""
        # Enough once n newlines (not counting the file's final one) follow the first,
        # possibly partial, piece.
        while position > 0 and data.count(b"\n") - data.endswith(b"\n") < n:
            step = min(bsize, position)
            position -= step
            file.seek(position)
            data = file.read(step) + data
    if not data:
        return []
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()  # the final newline ends the last line
    if position > 0:
        lines.pop(0)  # may be the end of a line that starts before the bytes read
    wanted = [line.removesuffix(b"\r") for line in lines[-n:]]
    try:
        return [line.decode("utf-8") for line in wanted]
    except UnicodeDecodeError as error:
        raise CorruptFileError(
            f"{os.fspath(filename)}: the last {n} lines (read from byte {position}) are not "
            f"UTF-8 text: {error.reason}.",
            path=os.fspath(filename),
            offset=position,
        ) from None
