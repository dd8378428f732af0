"""databroker.utils: ALL, LazyMap, get_fields, catalog_search_path and the doct helpers."""

import copy
import pickle
import threading
import time
import types
import warnings

import pytest

import databroker.utils as utils
from databroker.utils import (
    ALL,
    DeprecatedDoct,
    LazyMap,
    catalog_search_path,
    get_fields,
    wrap_in_deprecated_doct,
    wrap_in_doct,
)

CALLS: list[str] = []


def make_value():
    """A module-level (so picklable) factory that records its calls."""
    CALLS.append("made")
    return "value"


def test_public_names():
    """[compat] databroker.utils exposes the names old code imports."""
    names = [
        "ALL",
        "LazyMap",
        "catalog_search_path",
        "normalize_human_friendly_time",
        "format_time",
        "get_fields",
        "list_configs",
        "describe_configs",
        "lookup_config",
        "CONFIG_SEARCH_PATH",
        "ensure_path_exists",
        "wrap_in_doct",
        "DeprecatedDoct",
        "wrap_in_deprecated_doct",
    ]
    for name in names:
        assert hasattr(utils, name), name


# -- LazyMap ---------------------------------------------------------------------------------


def counting_factories(*names):
    calls = dict.fromkeys(names, 0)

    def factory(name):
        def make():
            calls[name] += 1
            return name.upper()

        return make

    return {name: factory(name) for name in names}, calls


def test_lazy_map_does_not_call_factories_for_keys():
    """[compat] in, len and iteration never call factories."""
    factories, calls = counting_factories("a", "b")
    lazy = LazyMap(factories)
    assert "a" in lazy
    assert "z" not in lazy
    assert len(lazy) == 2
    assert list(lazy) == ["a", "b"]
    assert sorted(lazy.keys()) == ["a", "b"]
    assert calls == {"a": 0, "b": 0}


def test_lazy_map_calls_factory_once():
    """[compat] The first [] calls the factory once and keeps the result."""
    factories, calls = counting_factories("a", "b")
    lazy = LazyMap(**factories)
    assert lazy["a"] == "A"
    assert lazy["a"] == "A"
    assert calls == {"a": 1, "b": 0}
    with pytest.raises(KeyError):
        lazy["z"]


def test_lazy_map_thread_safe():
    """[compat] Threads asking for one key at once call its factory once."""
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.05)
        return object()

    lazy = LazyMap(x=slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(lazy["x"])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert all(result is results[0] for result in results)


def test_lazy_map_failing_factory_is_retried():
    """[compat] A factory that raises is not cached; the next access calls it again."""
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("not yet")
        return "ok"

    lazy = LazyMap(x=flaky)
    with pytest.raises(OSError):
        lazy["x"]
    assert lazy["x"] == "ok"


def test_lazy_map_read_only_and_add():
    """[compat] LazyMap is read-only; add() adds keys and refuses existing ones."""
    lazy = LazyMap(a=lambda: 1)
    with pytest.raises(TypeError):
        lazy["b"] = lambda: 2  # type: ignore[index]
    lazy.add(b=lambda: 2)
    lazy.add({"c": lambda: 3})
    assert dict(lazy) == {"a": 1, "b": 2, "c": 3}
    with pytest.raises(TypeError, match="'a'"):
        lazy.add(a=lambda: 10, d=lambda: 4)
    assert lazy["a"] == 1
    assert "d" not in lazy


def test_lazy_map_pickle_keeps_picklable_factories_lazy():
    """[compat] Pickling keeps picklable factories unloaded and loads the others."""
    CALLS.clear()
    lazy = LazyMap(keep=make_value, load=lambda: "loaded")
    restored = pickle.loads(pickle.dumps(lazy))
    assert list(restored) == ["keep", "load"]
    assert CALLS == []
    assert restored["load"] == "loaded"
    assert restored["keep"] == "value"
    assert CALLS == ["made"]
    restored.add(new=lambda: 1)
    assert restored["new"] == 1


def test_lazy_map_repr_does_not_load():
    """[compat] repr shows loaded values and marks the others lazy, calling no factory."""
    factories, calls = counting_factories("a", "b")
    lazy = LazyMap(factories)
    lazy["a"]
    assert repr(lazy) == "LazyMap({'a': 'A', 'b': <lazy>})"
    assert calls["b"] == 0


# -- get_fields, ALL, catalog_search_path ----------------------------------------------------


def header_with(*descriptors):
    return types.SimpleNamespace(descriptors=list(descriptors))


def test_get_fields():
    """[compat] get_fields is the union of data_keys, optionally of one stream."""
    header = header_with(
        {"name": "primary", "data_keys": {"det": {}, "motor": {}}},
        {"name": "baseline", "data_keys": {"temp": {}}},
        {"name": "primary", "data_keys": {"det": {}, "extra": {}}},
    )
    assert get_fields(header) == {"det", "motor", "temp", "extra"}
    assert get_fields(header, ALL) == {"det", "motor", "temp", "extra"}
    assert get_fields(header, "primary") == {"det", "motor", "extra"}
    assert get_fields(header, "baseline") == {"temp"}
    assert get_fields(header, "nope") == set()


def test_get_fields_deprecated_docts_do_not_warn():
    """[compat] get_fields works on v1 descriptors (DeprecatedDoct) without warnings."""
    header = header_with(wrap_in_deprecated_doct("descriptor", {"data_keys": {"x": {}}}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get_fields(header, "primary") == {"x"}


def test_all_is_a_sentinel_class():
    """[compat] ALL is a class used as a sentinel."""
    assert isinstance(ALL, type)


def test_catalog_search_path_is_intakes():
    """[compat] catalog_search_path() is (intake user data dir, intake global data dir)."""
    from intake.catalog.default import global_data_dir, user_data_dir

    path = catalog_search_path()
    assert path == (user_data_dir(), global_data_dir())
    assert all(isinstance(part, str) for part in path)


# -- docts -----------------------------------------------------------------------------------

START = {"uid": "u1", "plan_name": "scan", "plan_args": {"num": 5, "det": [{"n": 1}]}}


def test_wrap_in_doct():
    """[compat] wrap_in_doct gives a dict with attribute access, nested, and _name."""
    doc = wrap_in_doct("start", START)
    assert isinstance(doc, dict)
    assert doc == START
    assert doc.plan_name == "scan"
    assert doc.plan_args.num == 5
    assert doc.plan_args.det[0].n == 1
    assert doc["plan_args"]["num"] == 5
    assert doc._name == "start"
    with pytest.raises(AttributeError, match="missing"):
        doc.missing


def test_wrap_in_doct_copies():
    """[compat] Wrapping does not change the original document."""
    original = copy.deepcopy(START)
    doc = wrap_in_doct("start", original)
    doc["plan_args"]["num"] = 6
    assert original == START


def test_deprecated_doct_attribute_access_warns():
    """[compat] DeprecatedDoct attribute access and _name warn, recommending doc['key']."""
    doc = wrap_in_deprecated_doct("start", START)
    assert isinstance(doc, DeprecatedDoct)
    with pytest.warns(UserWarning, match=r"doc\['plan_name'\]"):
        assert doc.plan_name == "scan"
    with pytest.warns(UserWarning):
        assert doc._name == "start"
    with pytest.warns(UserWarning):
        assert doc.plan_args.num == 5
    assert doc["plan_args"]["num"] == 5  # item access: no warning (warnings are errors)


def test_deprecated_doct_probing_missing_attribute_does_not_warn():
    """[compat] hasattr on a missing key is False without a warning."""
    doc = wrap_in_deprecated_doct("start", START)
    assert not hasattr(doc, "missing")


@pytest.mark.parametrize("wrap", [wrap_in_doct, wrap_in_deprecated_doct])
def test_docts_serve_repr_html_without_warning(wrap):
    """[compat] A Doct has _repr_html_ (an HTML table of its keys); no warning when probed."""
    doc = wrap("start", {**START, "note": "<b>&</b>"})
    page = doc._repr_html_()
    assert page.startswith("<table>")
    assert "plan_name" in page and "scan" in page
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page  # values are escaped
    assert "<th>num</th>" in page  # nested documents become nested tables


@pytest.mark.parametrize("probe", ["_repr_markdown_", "_repr_latex_", "_ipython_display_"])
def test_display_probes_never_resolve_to_keys(probe):
    """[fix] IPython's _repr_*_/_ipython_* probes raise AttributeError, even for such a key,
    without a warning."""
    doc = wrap_in_deprecated_doct("start", {**START, probe: "a value, not a method"})
    assert not hasattr(doc, probe)
    assert doc[probe] == "a value, not a method"


# -- 1.x file helpers ------------------------------------------------------------------------


def test_ensure_path_exists(tmp_path):
    """[compat] ensure_path_exists(path, exist_ok=True) makes the directory and its parents."""
    target = tmp_path / "a" / "b"
    assert utils.ensure_path_exists(target) is None
    assert target.is_dir()
    utils.ensure_path_exists(str(target))  # exists: fine by default
    with pytest.raises(FileExistsError):
        utils.ensure_path_exists(target, exist_ok=False)


@pytest.mark.parametrize("bsize", [1, 2, 5, 2048])
def test_tail_last_lines(tmp_path, bsize):
    """[compat] databroker._drivers.jsonl.tail(filename, n=1, bsize=2048): the last n lines."""
    from databroker._drivers.jsonl import tail

    path = tmp_path / "run.jsonl"
    path.write_bytes('["start", {}]\n["event", {"é": 1}]\r\n["stop", {}]\n'.encode())
    assert tail(path, bsize=bsize) == ['["stop", {}]']
    assert tail(str(path), n=2, bsize=bsize) == ['["event", {"é": 1}]', '["stop", {}]']
    assert tail(path, n=10, bsize=bsize) == ['["start", {}]', '["event", {"é": 1}]', '["stop", {}]']
    assert tail(path, n=0, bsize=bsize) == []
    path.write_bytes(b"no final newline\nlast")
    assert tail(path, bsize=bsize) == ["last"]
    path.write_bytes(b"")
    assert tail(path, bsize=bsize) == []


def test_tail_bad_input(tmp_path):
    """[fix] tail() refuses a bad n or bsize and names a file whose end is not UTF-8."""
    from databroker._drivers.jsonl import tail
    from databroker.errors import CorruptFileError, InvalidArgument

    path = tmp_path / "run.jsonl"
    path.write_bytes(b"fine\n\xff\xfe broken\n")
    with pytest.raises(InvalidArgument, match="bsize"):
        tail(path, bsize=0)
    with pytest.raises(InvalidArgument, match="n >= 0"):
        tail(path, n=-1)
    with pytest.raises(CorruptFileError, match=r"run\.jsonl"):
        tail(path)


@pytest.mark.parametrize("wrap", [wrap_in_doct, wrap_in_deprecated_doct])
def test_docts_copy_and_pickle(wrap):
    """[compat] Docts survive copy, deepcopy and pickle without warnings."""
    doc = wrap("start", START)
    for clone in (copy.copy(doc), copy.deepcopy(doc), pickle.loads(pickle.dumps(doc))):
        assert type(clone) is type(doc)
        assert clone == START
        assert clone.__dict__["_doct_name"] == "start"


def test_no_doct_package():
    """[fix] The doct helpers do not need the doct package."""
    import sys

    assert "doct" not in sys.modules
