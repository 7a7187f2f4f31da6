"""botocore's data loader without two cold-start costs that botocore has no setting for.

A process's first client costs about 60 ms, and most of it is in two places:

* ``list_available_services`` walks all of botocore's ~400 service directories (once for
  ``service-2``, once for ``endpoint-rule-set-1``) only to check that the service asked
  for is one of them: about 20 ms. Here the check asks that service's directory alone,
  and the whole list is still built whenever something reads it (an unknown service's
  ``UnknownServiceError`` names every known one, as botocore's does).
* The models are parsed by the standard library's decoder, an ``OrderedDict`` per object:
  about 25 ms. orjson parses the same files into dicts (which keep their order) several
  times faster.

Hand-written because no library does it; botocore makes its loader a pluggable session
component (``data_loader``), which is how :func:`fast_session` installs this one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

import boto3
import botocore.session
import orjson
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader

__all__ = ["FastLoader", "fast_session"]


class _OrjsonFileLoader(JSONFileLoader):
    def _load_file(self, full_path: str, open_method: Callable[..., Any]) -> Any:
        if not os.path.isfile(full_path):
            return None
        with open_method(full_path, "rb") as fp:
            return orjson.loads(fp.read())


class _Services(Sequence[str]):
    """The services with ``type_name`` data: membership asks one directory, anything else lists all."""

    def __init__(self, loader: FastLoader, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        return self._loader.all_services(self._type_name)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class FastLoader(Loader):
    FILE_LOADER_CLASS = _OrjsonFileLoader

    # A sequence, not the list botocore returns: a list subclass would be read from its (empty)
    # storage by C code such as str.join, never asking __iter__.
    def list_available_services(self, type_name: str) -> Sequence[str]:  # type: ignore[override]
        return _Services(self, type_name)

    def all_services(self, type_name: str) -> list[str]:
        """botocore's own walk of every service directory (cached by it, per type)."""
        services: list[str] = super().list_available_services(type_name)
        return services


def fast_session() -> boto3.Session:
    """A boto3 session whose botocore session loads its data with :class:`FastLoader`."""
    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    extra = (
        [os.path.expanduser(os.path.expandvars(p)) for p in data_path.split(os.pathsep)]
        if data_path
        else None
    )
    core.register_component("data_loader", FastLoader(extra_search_paths=extra))
    return boto3.Session(botocore_session=core)
