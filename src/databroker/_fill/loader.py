"""The bridge from a run's stored references to the handlers that load external data."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .._documents.classes import unpack_datum_page
from .._stores.base import Doc, RunStore
from ..errors import BrokenReference
from .handler_pool import HandlerPool, is_stream_resource

__all__ = ["ExternalLoader"]

Transform = Callable[[Doc], Doc]


class ExternalLoader:
    """Load the external data of one run (Resource/Datum and StreamResource/StreamDatum).

    Parameters
    ----------
    run
        The run's storage.
    handler_registry
        ``{spec or mimetype: class}``, kept by reference.
    root_map
        ``{stored root: local root}``, kept by reference.
    run_uid
        The run's uid, for error messages.
    transforms
        Optional ``{'resource': f, 'stream_resource': g}`` applied to (stream) resources read
        from storage before they are used, as everywhere else they surface.
    """

    def __init__(
        self,
        run: RunStore,
        handler_registry: Mapping[str, type],
        root_map: Mapping[str, str],
        run_uid: str,
        *,
        transforms: Mapping[str, Transform] | None = None,
    ) -> None:
        self.run = run
        self.run_uid = run_uid
        #: The open handler instances; dask tasks reference this, not the loader.
        self.pool = HandlerPool(handler_registry, root_map, run_uid)
        self._transforms = dict(transforms or {})
        self._resources: dict[str, Doc] = {}
        self._stream_resources: dict[str, Doc] | None = None

    def _transformed(self, name: str, doc: Doc) -> Doc:
        transform = self._transforms.get(name)
        return transform(doc) if transform is not None else doc

    def datum_references(self, datum_ids: Sequence[str]) -> list[tuple[Doc, Doc]]:
        """Return ``(resource, datum_kwargs)`` for each datum id, in order.

        Each distinct resource is one (transformed) object, so callers may group by identity
        of ``resource['uid']``.
        """
        references = self.run.datum_kwargs(datum_ids)
        out = []
        for resource, kwargs in references:
            uid = resource["uid"]
            if uid not in self._resources:
                self._resources[uid] = self._transformed("resource", resource)
            out.append((self._resources[uid], kwargs))
        return out

    def stream_resource(self, uid: str) -> Doc:
        """Return one StreamResource of the run by uid (``BrokenReference`` if absent)."""
        if self._stream_resources is None or uid not in self._stream_resources:
            self._stream_resources = {
                doc["uid"]: self._transformed("stream_resource", doc)
                for doc in self.run.stream_resources()
            }
        try:
            return self._stream_resources[uid]
        except KeyError:
            raise BrokenReference(
                f"StreamResource {uid!r}, referenced by a StreamDatum of run "
                f"{self.run_uid!r}, is not stored with the run."
            ) from None

    def check(self, doc: Doc, field: str | None = None) -> type:
        """Return the handler class for a (stream) resource or raise ``UnknownHandlerSpec``."""
        return self.pool.handler_class(doc, field)

    def get_file_list(self, doc: Doc) -> list[str]:
        """Return the local paths of a Resource's files (all its datum) or a StreamResource's."""
        if is_stream_resource(doc):
            return self.pool.file_list(doc)
        kwargs = [
            datum["datum_kwargs"]
            for page in self.run.datum_pages(doc["uid"])
            for datum in unpack_datum_page(page)
        ]
        return self.pool.file_list(doc, kwargs)

    def close(self) -> None:
        """Close the open handler instances."""
        self.pool.close()
