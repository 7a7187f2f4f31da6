"""The catalogue serves the chosen toolsets' tools, hides changes in ReadOnly mode, and imports a
service module only when one of its tools is called."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import BaseModel

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import INVALID_PARAMS, ProtocolError
from aws_mcp.jsontext import dumps_text
from aws_mcp.server import build_server
from aws_mcp.tools import CATALOG
from aws_mcp.tools.catalog import CORE, Catalog, Entry, read_manifest
from aws_mcp.tools.contract import MutatingInput, MutatingOutput, RegionalInput, tool


class Change(MutatingInput):
    pass


class Changed(MutatingOutput):
    pass


class Look(RegionalInput):
    pass


class Seen(BaseModel):
    pass


def change(args: Change) -> Changed:
    """Change something."""
    return Changed()


def look(args: Look) -> Seen:
    """Look at something."""
    return Seen()


CHANGE = tool(name="test_make_change", title="t", iam_actions=(), read_only=False)(change)
LOOK = tool(name="test_take_look", title="t", iam_actions=(), read_only=True)(look)


class TestServedTools:
    def test_the_access_mode_hides_changes_but_still_knows_them(self) -> None:
        catalog = Catalog([LOOK, CHANGE], allows_writes=False)
        assert catalog.names == ("test_take_look",)
        assert catalog.get("test_make_change") is CHANGE and catalog.hidden("test_make_change")
        assert catalog.get("nothing") is None

    def test_a_name_declared_twice_is_refused(self) -> None:
        with pytest.raises(ValueError, match="twice"):
            Catalog([LOOK, LOOK], allows_writes=True)

    def test_legacy_definitions_have_no_title_or_output_schema_but_annotate_the_title(self) -> None:
        (legacy,) = Catalog([LOOK], allows_writes=True).definitions(with_titles_and_output=False)
        assert "title" not in legacy and "outputSchema" not in legacy and legacy["name"] == "test_take_look"
        assert legacy["annotations"]["title"] == LOOK.title

    def test_a_tool_outside_a_service_module_is_core(self) -> None:
        assert Entry.of(LOOK).toolset == CORE


class TestToolsets:
    def test_only_the_chosen_toolsets_and_core_are_served(self) -> None:
        catalog = Catalog(read_manifest(), allows_writes=True, toolsets={"compute"})
        served = {e.toolset for e in read_manifest() if e.name in catalog.names}
        assert served == {CORE, "compute"}
        assert "aws_whoami" in catalog.names and "audit_query" in catalog.names

    def test_an_unknown_toolset_is_refused_naming_the_known_ones(self) -> None:
        with pytest.raises(ValueError, match=r"unknown toolset\(s\) compte: this server has .*compute"):
            Catalog(read_manifest(), allows_writes=True, toolsets={"compte"})

    def test_a_tool_of_a_toolset_not_served_says_which_setting_serves_it(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        shelved = replace(Entry.of(LOOK), name="s3_take_look", toolset="storage")
        chosen = settings.with_changes(toolsets=frozenset({"compute"}))
        server = build_server(chosen, clients, tools=[shelved, replace(Entry.of(LOOK), toolset="compute")])
        assert server.registry.names == ("test_take_look",)
        with pytest.raises(ProtocolError) as raised:
            server.registry.call("s3_take_look", {}, CallContext())
        assert raised.value.code == INVALID_PARAMS
        assert "toolset 'storage' is not among those chosen in AWS_MCP_TOOLSETS" in raised.value.message


class TestManifest:
    def test_the_manifest_holds_every_declared_tool_as_declared(self) -> None:
        assert read_manifest() == tuple(Entry.of(spec) for spec in sorted(CATALOG, key=lambda s: s.name))

    def test_a_server_imports_a_service_module_only_when_one_of_its_tools_is_called(self) -> None:
        # A fresh interpreter: this one has imported every service module already.
        script = textwrap.dedent(
            """
            import sys
            from moto import mock_aws
            from aws_mcp.aws.clients import ClientFactory
            from aws_mcp.config import Settings
            from aws_mcp.context import CallContext
            from aws_mcp.server import build_server

            settings = Settings()
            server = build_server(settings, ClientFactory(settings))
            assert server.registry.definitions(), "the tools are listed"
            loaded = sorted(m for m in sys.modules if m.startswith("aws_mcp.tools.services."))
            with mock_aws():
                server.registry.call("aws_whoami", {}, CallContext())
            called = sorted(m for m in sys.modules if m.startswith("aws_mcp.tools.services."))
            print(loaded, called)
            """
        )
        ran = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
        )
        # The last line: the audit record of the call is logged to stdout before it.
        assert ran.stdout.splitlines()[-1] == "[] ['aws_mcp.tools.services.identity']"


class TestSizeInAnAgentsContext:
    """``tools/list`` is read into the agent's context on every session: its size is a budget."""

    # Both catalogue issues together, every tool served; and the fleet issue's growth on top: its
    # allowance was 2,000 tokens, it takes about 2,940 (`account` on every tool about 980, the seven
    # fleet tools about 1,970): the lead's call (see the fleet helper's report).
    ALL_TOOLS_TOKENS = 25_000 + 3_000
    DESCRIPTION_CHARS = 400

    def test_the_whole_catalogue_fits_the_token_budget_and_each_toolset_says_its_size(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        import tiktoken

        # scripts/tiktoken_cache.py put the ranks there (make install): nothing is downloaded.
        monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(Path(sys.prefix) / "tiktoken"))
        encoding = tiktoken.get_encoding("o200k_base")
        entries = read_manifest()

        def tokens(chosen: list[Entry]) -> int:
            return len(encoding.encode(dumps_text({"tools": [e.definition for e in chosen]})))

        sizes = {t: [e for e in entries if e.toolset == t] for t in sorted({e.toolset for e in entries})}
        report = [
            f"{t:<12} {len(chosen):>3} tools {tokens(chosen):>7,} tokens" for t, chosen in sizes.items()
        ]
        total = tokens(list(entries))
        report.append(f"{'all':<12} {len(entries):>3} tools {total:>7,} tokens")
        with capsys.disabled():
            print("\ntools/list in o200k_base tokens, per toolset:\n  " + "\n  ".join(report))
        assert total < self.ALL_TOOLS_TOKENS

    def test_no_description_is_longer_than_400_characters(self) -> None:
        long = {e.name: len(e.definition["description"]) for e in read_manifest()}
        assert {name: n for name, n in long.items() if n > self.DESCRIPTION_CHARS} == {}
