"""Document classes: immutability, copies, repr, tokens."""

from __future__ import annotations

import copy
import json
import pickle

import msgpack
import pytest

from databroker.core import Datum, DatumPage, Document, EventPage, NotMutable, Start


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("x", 1),
        lambda d: d.__delitem__("uid"),
        lambda d: d.pop("uid"),
        lambda d: d.popitem(),
        lambda d: d.clear(),
        lambda d: d.setdefault("x", 1),
        lambda d: d.update(x=1),
    ],
)
def test_document_is_not_mutable(mutate) -> None:
    """[compat] Every mutating method raises NotMutable, which says to call to_dict()."""
    doc = Start({"uid": "abc", "time": 1.0})
    with pytest.raises(NotMutable, match="to_dict"):
        mutate(doc)
    assert doc == {"uid": "abc", "time": 1.0}


def test_to_dict_is_independent_deep_copy() -> None:
    """[compat] to_dict() returns a mutable deep copy of plain dicts and lists."""
    doc = Start({"uid": "abc", "nested": {"a": [1, 2]}})
    plain = doc.to_dict()
    plain["nested"]["a"].append(3)
    assert type(plain) is dict
    assert doc["nested"]["a"] == [1, 2]


def test_copy_pickle_keep_subclass() -> None:
    """[compat] copy, deepcopy and pickle keep the subclass and the content."""
    doc = Start({"uid": "abc", "nested": {"a": 1}})
    for clone in (copy.copy(doc), copy.deepcopy(doc), pickle.loads(pickle.dumps(doc))):
        assert type(clone) is Start
        assert clone == doc


def test_repr_round_trips() -> None:
    """[compat] repr is ClassName({...}) and evaluates back to an equal object."""
    doc = Start({"uid": "abc", "time": 1.5})
    assert repr(doc).startswith("Start({")
    assert eval(repr(doc)) == doc


def test_serializers_accept_documents() -> None:
    """[compat] json.dumps and msgpack.packb accept documents."""
    doc = Start({"uid": "abc", "time": 1.5})
    assert json.loads(json.dumps(doc)) == dict(doc)
    assert msgpack.unpackb(msgpack.packb(doc)) == dict(doc)


def test_dask_tokens() -> None:
    """[compat]+[fix] dask tokens: uid documents, datum, event and datum pages; base refuses."""
    assert Start({"uid": "u"}).__dask_tokenize__() == ("start", "u")
    assert Datum({"datum_id": "r/0"}).__dask_tokenize__() == ("datum", "r/0")
    assert EventPage({"uid": ["a", "b"]}).__dask_tokenize__() == ("event_page", ("a", "b"))
    page = DatumPage({"resource": "r", "datum_id": ["r/0", "r/1"]})
    assert page.__dask_tokenize__() == ("datum_page", "r", ("r/0", "r/1"))
    with pytest.raises(NotImplementedError):
        Document({"a": 1}).__dask_tokenize__()
