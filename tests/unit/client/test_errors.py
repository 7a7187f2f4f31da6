"""One exception tree: every error the client defines is an InfrastructureException, and the table
in the module's docstring (and the README) names every ErrorCodes member, retried exactly when
RETRYABLE says so."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import aws_mcp_client
from aws_mcp_client import errors
from aws_mcp_client.errors import RETRYABLE, ErrorCodes, InfrastructureException

README = (Path(__file__).parents[3] / "README.md").read_text()
ROW = re.compile(r"^([A-Z_]+)\s+(yes|no)\s+\S", re.MULTILINE)


def client_exceptions() -> list[type[BaseException]]:
    """Every exception class a module of the package defines (``__main__`` runs the CLI: not imported)."""
    found = []
    for module in pkgutil.iter_modules(aws_mcp_client.__path__, "aws_mcp_client."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        found += [
            cls
            for _, cls in inspect.getmembers(loaded, inspect.isclass)
            if issubclass(cls, BaseException) and cls.__module__ == loaded.__name__
        ]
    return found


def test_every_exception_the_client_defines_is_an_infrastructure_exception() -> None:
    defined = client_exceptions()
    assert InfrastructureException in defined
    assert all(issubclass(cls, InfrastructureException) for cls in defined)


def test_the_docstring_table_gives_every_code_once_and_whether_it_is_retried() -> None:
    rows = ROW.findall(errors.__doc__ or "")
    assert [code for code, _ in rows] == [code.value for code in ErrorCodes]
    assert {code for code, retried in rows if retried == "yes"} == {code.value for code in RETRYABLE}


def test_a_code_is_retryable_exactly_when_it_is_in_retryable() -> None:
    for code in ErrorCodes:
        assert InfrastructureException(code, "m").retryable is (code in RETRYABLE)


def test_the_readme_names_every_code() -> None:
    missing = [code.value for code in ErrorCodes if f"`{code.value}`" not in README]
    assert missing == []
