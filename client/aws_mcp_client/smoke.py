"""The smoke test of a running server (``aws-mcp smoke``): does a deployed endpoint answer as it should?

Seven checks, each ending in one line (pass, fail or skip, and why):

1. ``health``: ``GET /health`` (beside ``/mcp``, same authentication) answers ``ok``, and names the
   access mode (the one expected, when the caller says which);
2. ``protocol 2026-07-28``: a client that probes the current revision gets it;
3. ``protocol 2025 handshake``: a client forced to the ``initialize`` handshake gets a 2025 revision
   and can list the tools with it;
4. ``tools/list``: the core tools are there, and a ``ReadOnly`` server lists no tool that changes anything;
5. ``read``: ``aws_whoami`` (a core tool: always served, one ``sts:GetCallerIdentity``) answers;
6. ``audit``: ``audit_query`` finds that very call. The smoke client calls itself
   ``aws-mcp-smoke`` with a version unique to the run, which the audit record keeps; on Lambda a
   read's record reaches the table through the log subscription, seconds later, so it is polled;
7. ``write``: ``ec2_stop_instances`` on an instance id that never exists (``i-00000000000000000``),
   with ``dry_run`` and an ``idempotency_key``. A ``ReadOnly`` server must refuse it by its access
   mode before any AWS call; a ``ReadWrite`` one must let it through the access guard. It can change
   nothing even there: ``dry_run`` makes EC2 only check permissions (``DryRunOperation``), the target
   does not exist (AWS ids are random hex, never all zeros), and the key makes any retry a replay.
   When the server does not serve the ``compute`` toolset the mode cannot be proven by this write:
   skipped, saying so.

Hand-written: no library knows what our server should answer. It speaks through this package's own
``MCPClient`` (the SDK underneath) for both protocol eras, and httpx2 with the same auth for ``/health``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
import httpx2
import mcp_types as types

from aws_mcp_client.auth import auth_headers, httpx_auth
from aws_mcp_client.client import MCPClient
from aws_mcp_client.config import ClientSettings, MCPServerConfig, TransportType
from aws_mcp_client.errors import ErrorCodes, InfrastructureException

__all__ = [
    "ABSENT_INSTANCE",
    "AUDIT_TOOL",
    "CHECKS",
    "MODERN",
    "READ_TOOL",
    "SMOKE_CLIENT",
    "WRITE_TOOL",
    "Check",
    "Smoke",
    "SmokePlan",
    "Status",
]

MODERN = "2026-07-28"
READ_TOOL = "aws_whoami"
AUDIT_TOOL = "audit_query"
WRITE_TOOL = "ec2_stop_instances"
ABSENT_INSTANCE = "i-00000000000000000"
SMOKE_CLIENT = "aws-mcp-smoke"
READ_ONLY, READ_WRITE = "ReadOnly", "ReadWrite"
# The checks' names, in the order they run.
HEALTH, MODERN_ERA, LEGACY_ERA = "health", f"protocol {MODERN}", "protocol 2025 handshake"
LISTING, READ, AUDIT, WRITE = "tools/list", f"read {READ_TOOL}", f"audit {AUDIT_TOOL}", f"write {WRITE_TOOL}"
CHECKS = (HEALTH, MODERN_ERA, LEGACY_ERA, LISTING, READ, AUDIT, WRITE)
# Server and runner clocks differ a little; the audit search starts this much before the run.
_CLOCK_SLACK = timedelta(minutes=5)
_AUDIT_PAGES = 10


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a check's outcome, not a password
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    """One check's outcome and what it saw (or why it failed)."""

    name: str
    status: Status
    detail: str

    @property
    def line(self) -> str:
        return f"{self.status.value.upper():<4}  {self.name}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status.value, "detail": self.detail}


@dataclass(frozen=True)
class SmokePlan:
    """What to expect and how long to wait."""

    expect_access_mode: str | None = None
    """``ReadOnly`` or ``ReadWrite``: fail unless the server runs so. None: as ``/health`` says."""
    audit_wait_s: float = 60.0
    """How long ``audit_query`` is asked again for the read call's record (Lambda's log ingest)."""
    audit_poll_s: float = 2.0

    def __post_init__(self) -> None:
        if self.expect_access_mode not in (None, READ_ONLY, READ_WRITE):
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID,
                f"expected access mode {self.expect_access_mode!r}: expected {READ_ONLY} or {READ_WRITE}",
            )
        if self.audit_wait_s < 0 or self.audit_poll_s <= 0:
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID, "the audit wait must be >= 0 s and its poll > 0 s"
            )


class Smoke:
    """The checks against one HTTP server: ``run()`` returns them in order, and a server's fault is a
    failed check, never an exception."""

    def __init__(
        self,
        config: MCPServerConfig,
        settings: ClientSettings,
        plan: SmokePlan | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        run_id: str | None = None,
    ) -> None:
        if config.transport is not TransportType.STREAMABLE_HTTP or not config.url:
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID,
                f"server {config.name!r}: the smoke test needs a Streamable HTTP URL",
                server=config.name,
            )
        self.config = config
        self.settings = settings
        self.plan = plan or SmokePlan()
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self.run_id = run_id or uuid.uuid4().hex[:12]
        # PEP 440's local version label: the package's version, and which run this is.
        self.client_info = types.Implementation(name=SMOKE_CLIENT, version=f"{_version()}+{self.run_id}")

    async def run(self) -> list[Check]:
        started_at = self._now()
        checks: list[Check] = []
        health, health_mode = await self._health()
        checks.append(health)
        async with contextlib.AsyncExitStack() as stack:
            modern, check = await self._connect(stack, "auto", MODERN_ERA)
            if modern is not None:
                check = _expect(
                    check.name,
                    modern.protocol_version == MODERN,
                    f"negotiated {modern.protocol_version}",
                    f"negotiated {modern.protocol_version}, not {MODERN}",
                )
            checks.append(check)
            legacy, check = await self._connect(stack, "legacy", LEGACY_ERA)
            if legacy is not None:
                check = await self._legacy(legacy)
            checks.append(check)
            client = modern or legacy
            if client is None:
                reason = "not run: no connection to the server"
                checks += [Check(name, Status.FAIL, reason) for name in (LISTING, READ, AUDIT, WRITE)]
                return checks
            listed = await self._listed(client)
            mode = self.plan.expect_access_mode or health_mode or _mode_of(listed)
            checks.append(self._tools(listed, mode))
            checks.append(await self._read(client))
            checks.append(await self._audit(client, started_at))
            checks.append(await self._write(client, mode))
        return checks

    # -- the checks ----------------------------------------------------------------------------------

    async def _health(self) -> tuple[Check, str | None]:
        name = HEALTH
        url = _health_url(str(self.config.url))
        if url is None:
            return Check(
                name, Status.SKIP, f"{self.config.url} does not end in /mcp: no /health beside it"
            ), None
        started = self._clock()
        try:
            async with httpx2.AsyncClient(
                headers={**self.config.headers, **auth_headers(self.config.auth)},
                auth=httpx_auth(self.config.auth),
                timeout=httpx2.Timeout(self.settings.timeout),
            ) as http:
                answer = await http.get(url)
        except (httpx2.HTTPError, InfrastructureException) as err:
            return Check(name, Status.FAIL, f"GET {url}: {type(err).__name__}: {err}"), None
        ms = (self._clock() - started) * 1000
        try:
            report = answer.json()
        except ValueError:
            report = None
        if answer.status_code != 200 or not isinstance(report, dict):
            return Check(
                name, Status.FAIL, f"GET {url}: HTTP {answer.status_code} {answer.text[:200]!r}"
            ), None
        mode = report.get("accessMode")
        mode = mode if isinstance(mode, str) else None
        said = f"{report.get('status')}, {mode}, {report.get('tools')} tools, version {report.get('version')}"
        if report.get("status") != "ok":
            problems = "; ".join(str(p) for p in report.get("problems") or []) or "no reason given"
            return Check(name, Status.FAIL, f"{said}: {problems}"), mode
        expected = self.plan.expect_access_mode
        if expected and mode != expected:
            return Check(name, Status.FAIL, f"{said}: the access mode is {mode}, expected {expected}"), mode
        return Check(name, Status.PASS, f"{said} ({ms:.0f} ms)"), mode

    async def _connect(
        self, stack: contextlib.AsyncExitStack, mode: str, name: str
    ) -> tuple[MCPClient | None, Check]:
        client = MCPClient(replace(self.config, mode=mode), self.settings, client_info=self.client_info)
        try:
            await client.connect()
        except InfrastructureException as err:
            await client.disconnect()
            return None, Check(name, Status.FAIL, _why(err))
        stack.push_async_callback(client.disconnect)
        return client, Check(name, Status.PASS, f"negotiated {client.protocol_version}")

    async def _legacy(self, client: MCPClient) -> Check:
        name = LEGACY_ERA
        version_ = client.protocol_version or ""
        if not version_.startswith("2025-"):
            return Check(name, Status.FAIL, f"negotiated {version_ or 'nothing'}, not a 2025 revision")
        try:
            count = len(await client.get_tools())
        except InfrastructureException as err:
            return Check(name, Status.FAIL, f"negotiated {version_}, then tools/list failed: {_why(err)}")
        return Check(name, Status.PASS, f"negotiated {version_}, {count} tools listed")

    async def _listed(self, client: MCPClient) -> list[types.Tool] | InfrastructureException:
        try:
            return await client.get_tools()
        except InfrastructureException as err:
            return err

    def _tools(self, listed: list[types.Tool] | InfrastructureException, mode: str | None) -> Check:
        name = LISTING
        if isinstance(listed, InfrastructureException):
            return Check(name, Status.FAIL, _why(listed))
        names = {tool.name for tool in listed}
        missing = sorted({READ_TOOL, AUDIT_TOOL} - names)
        if missing:
            return Check(
                name, Status.FAIL, f"{len(names)} tools, without the core tool(s) {', '.join(missing)}"
            )
        writes = sorted(tool.name for tool in listed if not _read_only(tool))
        if mode == READ_ONLY and writes:
            shown = ", ".join(writes[:5]) + (" ..." if len(writes) > 5 else "")
            return Check(name, Status.FAIL, f"a ReadOnly server lists {len(writes)} write tool(s): {shown}")
        return Check(name, Status.PASS, f"{len(names)} tools ({len(writes)} that change things)")

    async def _read(self, client: MCPClient) -> Check:
        name = READ
        try:
            result = await client.call_tool(READ_TOOL, {})
        except InfrastructureException as err:
            return Check(name, Status.FAIL, _why(err))
        if result.is_error:
            return Check(name, Status.FAIL, f"the tool reported an error: {_text(result)}")
        found = result.structured_content or {}
        return Check(name, Status.PASS, f"account {found.get('account')}, acting as {found.get('arn')}")

    async def _audit(self, client: MCPClient, started_at: datetime) -> Check:
        name = AUDIT
        question = {
            "tool": READ_TOOL,
            "since": (started_at - _CLOCK_SLACK).isoformat(),
            "fields": ["client_name", "client_version", "outcome", "caller", "started_at"],
            "max_results": 100,
        }
        deadline = self._clock() + self.plan.audit_wait_s
        asked = 0
        while True:
            asked += 1
            try:
                record = await self._find_record(client, question)
            except InfrastructureException as err:
                said = err.message if err.code is ErrorCodes.TOOL_ERROR else _why(err)
                return Check(name, Status.FAIL, said)
            if record is not None:
                return Check(
                    name,
                    Status.PASS,
                    f"found the read call ({record.get('outcome')}, by {record.get('caller')}, "
                    f"at {record.get('started_at')}) after {asked} quer{'y' if asked == 1 else 'ies'}",
                )
            if self._clock() >= deadline:
                return Check(
                    name,
                    Status.FAIL,
                    f"no record of this run's {READ_TOOL} call (client {SMOKE_CLIENT} "
                    f"{self.client_info.version}) after {self.plan.audit_wait_s:g} s",
                )
            await self._sleep(self.plan.audit_poll_s)

    async def _find_record(self, client: MCPClient, question: dict[str, Any]) -> dict[str, Any] | None:
        cursor: str | None = None
        for _ in range(_AUDIT_PAGES):
            asked = {**question, "cursor": cursor} if cursor else question
            result = await client.call_tool(AUDIT_TOOL, asked)
            if result.is_error:
                said = f"the tool reported an error: {_text(result)}"
                raise InfrastructureException(ErrorCodes.TOOL_ERROR, said, server=client.name)
            page = result.structured_content or {}
            for record in page.get("records") or []:
                if (
                    record.get("client_name") == SMOKE_CLIENT
                    and record.get("client_version") == self.client_info.version
                ):
                    return dict(record)
            cursor = page.get("next_cursor")
            if not cursor:
                return None
        return None

    async def _write(self, client: MCPClient, mode: str | None) -> Check:
        name = WRITE
        arguments = {
            "instance_ids": [ABSENT_INSTANCE],
            "dry_run": True,
            "idempotency_key": f"{SMOKE_CLIENT}-{self.run_id}",
        }
        if mode not in (READ_ONLY, READ_WRITE):
            return Check(name, Status.SKIP, "the server's access mode is unknown (no /health)")
        try:
            result = await client.call_tool(WRITE_TOOL, arguments, unlisted=True)
        except InfrastructureException as err:
            said = err.message
            if "is not served here" in said:
                return Check(
                    name, Status.SKIP, f"its toolset is not served, so no write proves the mode: {said}"
                )
            if mode == READ_ONLY and err.code is ErrorCodes.VALIDATION_FAILED and READ_ONLY in said:
                return Check(name, Status.PASS, f"refused, as a ReadOnly server must: {said}")
            return Check(name, Status.FAIL, f"{mode} server: {_why(err)}")
        outcome = f"a dry run on {ABSENT_INSTANCE}: {_text(result)[:200]}"
        if mode == READ_ONLY:
            return Check(name, Status.FAIL, f"a ReadOnly server accepted {WRITE_TOOL} ({outcome})")
        return Check(name, Status.PASS, f"passed the access guard, as a ReadWrite server's must ({outcome})")


def _health_url(mcp_url: str) -> str | None:
    base, _, last = mcp_url.rstrip("/").rpartition("/")
    return f"{base}/health" if last == "mcp" and base else None


def _read_only(tool: types.Tool) -> bool:
    return bool(tool.annotations and tool.annotations.read_only_hint)


def _mode_of(listed: list[types.Tool] | InfrastructureException) -> str | None:
    """The access mode tools/list shows: any tool that changes things means ReadWrite."""
    if isinstance(listed, InfrastructureException):
        return None
    return READ_WRITE if any(not _read_only(tool) for tool in listed) else READ_ONLY


def _expect(name: str, ok: bool, passed: str, failed: str) -> Check:
    return Check(name, Status.PASS, passed) if ok else Check(name, Status.FAIL, failed)


def _why(err: InfrastructureException) -> str:
    return f"{err.code.value}: {err.message}"


def _text(result: types.CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, types.TextContent))


def _version() -> str:
    try:
        return version("aws-mcp")
    except PackageNotFoundError:
        return "0"
