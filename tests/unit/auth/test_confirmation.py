"""Destructive changes run only once confirmed, the confirmation bound to the exact change: MRTR
elicitations on 2026-07-28, a plan and its token otherwise; what does not confirm this change is
refused and audited."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from hypothesis import given
from hypothesis import strategies as st
from mcp_types.methods import validate_server_result

from aws_mcp.auth.confirmation import Binding, Confirmations, SecretKeys, StaticKeys
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import AccessDeniedError
from aws_mcp.protocol import Dispatcher, Reply
from aws_mcp.protocol.versions import CLIENT_CAPABILITIES_META, CLIENT_INFO_META, PROTOCOL_VERSION_META
from aws_mcp.server import build_server
from aws_mcp.tools.contract import MutatingInput, MutatingOutput, tool

MODERN, LEGACY = "2026-07-28", "2025-06-18"
TOKEN = re.compile(r'plus "confirmation": "([A-Za-z0-9_.-]+)"')
BINDING = Binding(
    "arn:aws:iam::111122223333:user/alice", "test_wipe_disk", {"disk": "d-1", "region": "us-east-1"}
)

# What the destroying tool did, by disk: so a test sees whether it ran.
WIPED: list[str] = []


class WipeInput(MutatingInput):
    disk: str
    dry_run: bool = False


class Wiped(MutatingOutput):
    disk: str


@tool(
    name="test_wipe_disk",
    title="Wipe a disk",
    iam_actions=("ec2:DeleteVolume",),
    read_only=False,
    destructive=True,
)
def wipe(args: WipeInput) -> Wiped:
    """Wipe a disk: every byte on it is lost, for good."""
    if not args.dry_run:
        WIPED.append(args.disk)
    return Wiped(disk=args.disk)


class TestTheSignedText:
    def test_it_confirms_the_change_it_was_minted_for(self) -> None:
        confirmations = Confirmations(StaticKeys(b"k" * 32))
        confirmations.check(confirmations.mint(BINDING, "token"), BINDING, "token")

    @pytest.mark.parametrize(
        ("other", "why"),
        [
            (
                Binding(BINDING.caller, BINDING.tool, {"disk": "d-2", "region": "us-east-1"}),
                "other arguments",
            ),
            (
                Binding("arn:aws:iam::111122223333:user/mallory", BINDING.tool, BINDING.arguments),
                "another caller",
            ),
            (Binding(BINDING.caller, "test_other_tool", BINDING.arguments), "issued for 'test_wipe_disk'"),
        ],
    )
    def test_it_confirms_no_other_change(self, other: Binding, why: str) -> None:
        confirmations = Confirmations(StaticKeys(b"k" * 32))
        with pytest.raises(AccessDeniedError, match=why):
            confirmations.check(confirmations.mint(BINDING, "token"), other, "token")

    def test_it_expires(self) -> None:
        now = [1_000_000.0]
        confirmations = Confirmations(StaticKeys(b"k" * 32), clock=lambda: now[0])
        token = confirmations.mint(BINDING, "token")
        now[0] += confirmations.ttl_seconds + 1
        with pytest.raises(AccessDeniedError, match="expired"):
            confirmations.check(token, BINDING, "token")

    def test_an_altered_one_is_refused(self) -> None:
        confirmations = Confirmations(StaticKeys(b"k" * 32))
        body, signature = confirmations.mint(BINDING, "token").split(".")
        payload = json.loads(_unb64(body))
        payload["x"] += 10_000  # a longer life, the signature kept
        forged = f"{_b64(json.dumps(payload).encode())}.{signature}"
        with pytest.raises(AccessDeniedError, match="not one this server issued"):
            confirmations.check(forged, BINDING, "token")

    def test_another_server_s_key_does_not_verify(self) -> None:
        token = Confirmations(StaticKeys(b"a" * 32)).mint(BINDING, "token")
        with pytest.raises(AccessDeniedError, match="not one this server issued"):
            Confirmations(StaticKeys(b"b" * 32)).check(token, BINDING, "token")

    def test_a_request_state_is_no_token(self) -> None:
        # A state passed as a token would skip the user's answer to the elicitation.
        confirmations = Confirmations(StaticKeys(b"k" * 32))
        with pytest.raises(AccessDeniedError, match="not a confirmation token for this step"):
            confirmations.check(confirmations.mint(BINDING, "state"), BINDING, "token")

    @given(st.one_of(st.text(max_size=300), st.binary(max_size=50).map(repr), st.integers(), st.none()))
    def test_anything_else_is_refused_and_nothing_else_is_raised(self, text: Any) -> None:
        with pytest.raises(AccessDeniedError):
            Confirmations(StaticKeys(b"k" * 32)).check(text, BINDING, "token")

    def test_without_keys_nothing_can_be_confirmed_and_it_says_why(self) -> None:
        confirmations = Confirmations(None, unavailable="no signing secret is configured (X)")
        with pytest.raises(AccessDeniedError, match="cannot be confirmed here: no signing secret"):
            confirmations.mint(BINDING, "token")


class TestTheSecretsManagerKey:
    @pytest.fixture
    def secret(self, aws: None) -> str:
        name = f"confirm-{uuid.uuid4().hex}"
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name=name, SecretString="v1" * 20
        )
        return name

    def keys(self, secret: str, clock: Any = None) -> SecretKeys:
        client = boto3.client("secretsmanager", region_name="us-east-1")
        return SecretKeys(lambda: client, secret, **({"clock": clock} if clock else {}))

    def test_a_token_minted_before_a_rotation_still_verifies_after_it(self, secret: str) -> None:
        before = Confirmations(self.keys(secret)).mint(BINDING, "token")
        boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
            SecretId=secret, SecretString="v2" * 20
        )
        Confirmations(self.keys(secret)).check(before, BINDING, "token")

    def test_an_instance_holding_the_old_key_reads_the_new_one_when_a_signature_needs_it(
        self, secret: str
    ) -> None:
        now = [0.0]
        stale = Confirmations(self.keys(secret, clock=lambda: now[0]))
        stale.mint(BINDING, "token")  # caches v1, for minutes
        boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
            SecretId=secret, SecretString="v2" * 20
        )
        fresh = Confirmations(self.keys(secret)).mint(BINDING, "token")
        now[0] = 6.0  # a signature it cannot check makes it read the secret again (at most every 5 s)
        stale.check(fresh, BINDING, "token")

    def test_two_rotations_later_a_token_is_refused(self, secret: str) -> None:
        before = Confirmations(self.keys(secret)).mint(BINDING, "token")
        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.put_secret_value(SecretId=secret, SecretString="v2" * 20)
        client.put_secret_value(SecretId=secret, SecretString="v3" * 20)
        with pytest.raises(AccessDeniedError, match="not one this server issued"):
            Confirmations(self.keys(secret)).check(before, BINDING, "token")


class Instance:
    """One server (a Lambda instance, say), its audit lines captured."""

    def __init__(self, settings: Settings, clients: ClientFactory) -> None:
        self.log = io.StringIO()
        logger = Logger(service=f"confirm-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(self.log))
        self.server = build_server(settings, clients, logger=logger, tools=[wipe])
        self.dispatcher = Dispatcher(settings, self.server.registry)

    def call(
        self,
        arguments: dict[str, Any],
        *,
        version: str = MODERN,
        caller: str = BINDING.caller,
        elicitation: bool = True,
        **extra: Any,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"name": "test_wipe_disk", "arguments": arguments, **extra}
        headers: dict[str, tuple[str, ...]] = {"mcp-protocol-version": (version,)}
        if version == MODERN:
            capabilities: dict[str, Any] = {"elicitation": {"form": {}}} if elicitation else {}
            params["_meta"] = {
                PROTOCOL_VERSION_META: MODERN,
                CLIENT_INFO_META: {"name": "pytest", "version": "1"},
                CLIENT_CAPABILITIES_META: capabilities,
            }
            headers |= {"mcp-method": ("tools/call",), "mcp-name": ("test_wipe_disk",)}
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
        reply: Reply = self.dispatcher.handle(message, headers, CallContext(caller=caller))
        assert reply.body is not None and "result" in reply.body, reply
        result: dict[str, Any] = reply.body["result"]
        validate_server_result("tools/call", version, result)
        return result

    def outcomes(self) -> list[str]:
        return [
            json.loads(line)["audit"]["outcome"]
            for line in self.log.getvalue().splitlines()
            if '"audit"' in line
        ]


@pytest.fixture
def secret_settings(settings: Settings, aws: None) -> Settings:
    name = f"confirm-{uuid.uuid4().hex}"
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=name, SecretString=uuid.uuid4().hex * 2
    )
    return settings.with_changes(confirmation_secret=name, on_lambda=True)


@pytest.fixture
def one(secret_settings: Settings, clients: ClientFactory) -> Instance:
    WIPED.clear()
    return Instance(secret_settings, clients)


def accept(answer: bool = True, action: str = "accept") -> dict[str, Any]:
    return {"confirm": {"action": action, "content": {"confirm": answer}}}


DISK = {"disk": "d-1"}


class TestOn2026WithElicitation:
    def test_the_first_call_asks_the_user_stating_the_change_and_changes_nothing(self, one: Instance) -> None:
        result = one.call(DISK)
        assert result["resultType"] == "input_required"
        (request,) = result["inputRequests"].values()
        assert request["method"] == "elicitation/create"
        message = request["params"]["message"]
        assert "test_wipe_disk" in message and "us-east-1" in message and '"disk":"d-1"' in message
        assert "every byte on it is lost" in message and "account 123456789012" in message
        assert WIPED == [] and one.outcomes() == ["confirmation_required"]

    def test_an_accepting_answer_with_the_state_makes_the_change(self, one: Instance) -> None:
        state = one.call(DISK)["requestState"]
        result = one.call(DISK, inputResponses=accept(), requestState=state)
        assert result["resultType"] == "complete" and result["isError"] is False
        assert WIPED == ["d-1"] and one.outcomes() == ["confirmation_required", "success"]

    @pytest.mark.parametrize(
        ("responses", "said"),
        [
            (accept(action="decline"), "decline"),
            (accept(action="cancel"), "cancel"),
            (accept(answer=False), "no answer"),
            ({}, "no answer"),
        ],
    )
    def test_a_decline_is_refused_and_audited(
        self, one: Instance, responses: dict[str, Any], said: str
    ) -> None:
        state = one.call(DISK)["requestState"]
        result = one.call(DISK, inputResponses=responses, requestState=state)
        assert result["isError"] is True and f"not confirmed ({said})" in result["content"][0]["text"]
        assert WIPED == [] and one.outcomes() == ["confirmation_required", "denied"]

    def test_a_tampered_state_is_refused(self, one: Instance) -> None:
        state = one.call(DISK)["requestState"]
        tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
        result = one.call(DISK, inputResponses=accept(), requestState=tampered)
        assert result["isError"] is True and "not one this server issued" in result["content"][0]["text"]
        assert WIPED == [] and one.outcomes()[-1] == "denied"

    def test_a_state_replayed_for_other_arguments_is_refused(self, one: Instance) -> None:
        state = one.call(DISK)["requestState"]
        result = one.call({"disk": "d-2"}, inputResponses=accept(), requestState=state)
        assert "confirms other arguments" in result["content"][0]["text"]
        assert WIPED == []

    def test_a_state_replayed_by_another_caller_is_refused(self, one: Instance) -> None:
        state = one.call(DISK)["requestState"]
        result = one.call(
            DISK, caller="arn:aws:iam::111122223333:user/mallory", inputResponses=accept(), requestState=state
        )
        assert "issued to another caller" in result["content"][0]["text"]
        assert WIPED == []

    def test_an_expired_state_is_refused(self, secret_settings: Settings, clients: ClientFactory) -> None:
        WIPED.clear()
        issuing = Instance(secret_settings, clients)
        state = issuing.call(DISK)["requestState"]
        body = state.split(".")[0]
        # The state a server minted 301 s ago, signed with the same key.
        keys = SecretKeys(
            lambda: boto3.client("secretsmanager", region_name="us-east-1"),
            str(secret_settings.confirmation_secret),
        )
        old = Confirmations(keys, clock=lambda: json.loads(_unb64(body))["x"] - 300 - 301).mint(
            Binding(
                BINDING.caller,
                "test_wipe_disk",
                {"account": None, "disk": "d-1", "dry_run": False, "region": "us-east-1"},
            ),
            "state",
        )
        result = issuing.call(DISK, inputResponses=accept(), requestState=old)
        assert "has expired" in result["content"][0]["text"] and WIPED == []

    def test_one_instance_issues_and_another_verifies(
        self, secret_settings: Settings, clients: ClientFactory
    ) -> None:
        WIPED.clear()
        first, second = Instance(secret_settings, clients), Instance(secret_settings, clients)
        state = first.call(DISK)["requestState"]
        result = second.call(DISK, inputResponses=accept(), requestState=state)
        assert result["isError"] is False and WIPED == ["d-1"]

    def test_a_dry_run_needs_no_confirmation(self, one: Instance) -> None:
        result = one.call({"disk": "d-1", "dry_run": True})
        assert result["resultType"] == "complete" and result["isError"] is False


class TestWithoutElicitation:
    @pytest.mark.parametrize(("version", "elicitation"), [(LEGACY, False), (MODERN, False)])
    def test_the_first_call_is_a_plan_with_a_token_and_the_token_makes_the_change(
        self, one: Instance, version: str, elicitation: bool
    ) -> None:
        plan = one.call(DISK, version=version, elicitation=elicitation)
        text = plan["content"][0]["text"]
        assert plan["isError"] is True and text.startswith(
            "Confirmation required: nothing has been changed yet."
        )
        assert "Show this plan to the user" in text and WIPED == []
        token = TOKEN.search(text)
        assert token is not None
        done = one.call({**DISK, "confirmation": token[1]}, version=version, elicitation=elicitation)
        assert done["isError"] is False and WIPED == ["d-1"]
        assert one.outcomes() == ["confirmation_required", "success"]

    def test_the_audit_records_keep_the_plan_and_never_the_token(self, one: Instance) -> None:
        text = one.call(DISK, version=LEGACY)["content"][0]["text"]
        token = TOKEN.search(text)
        assert token is not None
        one.call({**DISK, "confirmation": token[1]}, version=LEGACY)
        log = one.log.getvalue()
        assert token[1] not in log and "Confirmation required" in log
        confirmed = json.loads(log.splitlines()[-1])["audit"]
        assert confirmed["arguments"] == {**DISK, "confirmation": "***redacted***"}

    def test_a_token_replayed_for_other_arguments_or_by_another_caller_is_refused(
        self, one: Instance
    ) -> None:
        token = TOKEN.search(one.call(DISK, version=LEGACY)["content"][0]["text"])
        assert token is not None
        other_disk = one.call({"disk": "d-2", "confirmation": token[1]}, version=LEGACY)
        other_caller = one.call({**DISK, "confirmation": token[1]}, version=LEGACY, caller="apikey:mallory")
        assert "confirms other arguments" in other_disk["content"][0]["text"]
        assert "issued to another caller" in other_caller["content"][0]["text"]
        assert WIPED == [] and one.outcomes() == ["confirmation_required", "denied", "denied"]

    def test_one_instance_issues_the_token_and_another_verifies(
        self, secret_settings: Settings, clients: ClientFactory
    ) -> None:
        WIPED.clear()
        first, second = Instance(secret_settings, clients), Instance(secret_settings, clients)
        token = TOKEN.search(first.call(DISK, version=LEGACY)["content"][0]["text"])
        assert token is not None
        assert second.call({**DISK, "confirmation": token[1]}, version=LEGACY)["isError"] is False
        assert WIPED == ["d-1"]

    def test_a_malformed_confirmation_argument_is_an_input_error(self, one: Instance) -> None:
        result = one.call({**DISK, "confirmation": 7}, version=LEGACY)
        assert "must be the token a plan gave" in result["content"][0]["text"] and WIPED == []

    def test_on_lambda_without_a_secret_destructive_changes_are_refused_saying_why(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        WIPED.clear()
        instance = Instance(settings.with_changes(on_lambda=True, confirmation_secret=None), clients)
        text = instance.call(DISK, version=LEGACY)["content"][0]["text"]
        assert (
            "cannot be confirmed here: no signing secret is configured (AWS_MCP_CONFIRMATION_SECRET)" in text
        )
        assert WIPED == [] and instance.outcomes() == ["denied"]


def test_a_deployment_may_ask_confirmation_for_more_tools(settings: Settings, clients: ClientFactory) -> None:
    registry = build_server(settings.with_changes(confirm_tools=("ec2_start_*",)), clients).registry
    outcome = registry.call("ec2_start_instances", {"instance_ids": ["i-0123456789abcdef0"]}, CallContext())
    assert outcome.is_error and outcome.text.startswith("Confirmation required")


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
