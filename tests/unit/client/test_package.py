"""The package's public names: ``__all__``, the lazy table (``_WHERE``) and the names imported for
type checkers are one list, kept in step, and every name resolves to what its module defines."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import aws_mcp_client

SOURCE = Path(aws_mcp_client.__file__)


def type_checking_imports() -> dict[str, str]:
    """Name -> module of every ``from ... import`` under ``if TYPE_CHECKING:`` in ``__init__.py``."""
    tree = ast.parse(SOURCE.read_text())
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    return {
        alias.name: str(node.module)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_all_lists_exactly_the_names_the_package_loads_lazily() -> None:
    assert sorted(aws_mcp_client.__all__) == sorted(aws_mcp_client._WHERE)


def test_type_checkers_see_each_name_from_the_module_it_is_loaded_from() -> None:
    assert type_checking_imports() == aws_mcp_client._WHERE


def test_every_public_name_of_the_package_resolves() -> None:
    for name in aws_mcp_client.__all__:
        resolved = getattr(aws_mcp_client, name)
        assert resolved is getattr(importlib.import_module(aws_mcp_client._WHERE[name]), name)
        assert resolved.__name__ == name
