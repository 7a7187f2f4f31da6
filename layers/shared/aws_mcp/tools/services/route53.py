"""Route 53: hosted zones, their record sets, upserting or deleting a simple record.

Route 53 is global: its tools take ``region`` like every tool (the registry picks the client by
it) but any region reaches the same zones, and their answers name none. Record sets are paged by
name and type, not by token, so a cursor holds the record to start at. A change answers PENDING
and turns INSYNC once every Route 53 server has it (usually within a minute).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import (
    Cursor,
    Fields,
    Item,
    Paged,
    TokenPages,
    bind,
    malformed_cursor,
    page_size,
    resume,
)

if TYPE_CHECKING:
    from mypy_boto3_route53 import Route53Client

__all__ = ["TOOLS", "TOOLSET"]

# Route 53 validates names and types itself: patterns here would cost tokens in every listing.
ZoneRef = Annotated[str, Field(max_length=255, description="Zone id or domain name.")]
RecordName = Annotated[str, Field(max_length=255, description="Record name.")]
RecordType = Annotated[str, Field(max_length=5, description="A, CNAME, TXT, ...")]
Values = Annotated[list[Annotated[str, Field(max_length=4000)]], Field(max_length=100)]
_NO_SUCH_ZONE = "NoSuchHostedZone"


# -- zones ------------------------------------------------------------------------------------


class Zone(Item):
    item_key = "id"

    id: str
    name: str | None = None
    private: bool | None = None
    records: int | None = None


class ListZonesInput(RegionalInput):
    fields: Fields[Zone] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListZonesOutput(Paged):
    items_field = "zones"

    zones: list[Zone]


@tool(
    name="route53_list_zones",
    title="List Route 53 hosted zones",
    iam_actions=("route53:ListHostedZones",),
    read_only=True,
    idempotent=True,
    examples=(Example({}, {"count": 2, "next_cursor": None}),),
)
def list_zones(route53: Route53Client, args: ListZonesInput) -> ListZonesOutput:
    """List hosted zones: ids, record counts. Route 53 is global."""
    pages = TokenPages.resume(args.cursor, {}, args.max_results)
    response = pages.fetch(route53.list_hosted_zones, paged_by="Marker", MaxItems=str(pages.size))
    found, next_cursor = pages.window(response.get("HostedZones", []), response.get("NextMarker"))
    zones = [
        Zone(
            id=_zone_id(z["Id"]),
            name=z.get("Name"),
            private=z.get("Config", {}).get("PrivateZone"),
            records=z.get("ResourceRecordSetCount"),
        )
        for z in found
    ]
    return ListZonesOutput(count=len(zones), zones=zones, next_cursor=next_cursor).resume_with(
        pages.cursor_at
    )


# -- records ----------------------------------------------------------------------------------


class Record(Item):
    item_key = "name"

    name: str
    type: str | None = None
    ttl: int | None = None
    values: list[str] | None = None
    alias_target: str | None = None
    set_identifier: str | None = Field(default=None, description="Set on weighted, latency, ... records.")


class ListRecordsInput(RegionalInput):
    zone: ZoneRef
    name: RecordName | None = Field(default=None, description="Only records of this name.")
    fields: Fields[Record] = None
    max_results: int = page_size(default=100, most=300)
    cursor: Cursor = None


class ListRecordsOutput(Paged):
    items_field = "records"

    zone_id: str
    records: list[Record]


@tool(
    name="route53_list_records",
    title="List Route 53 records",
    iam_actions=("route53:ListHostedZonesByName", "route53:ListResourceRecordSets"),
    read_only=True,
    idempotent=True,
    examples=(
        Example({"zone": "shop.example.com", "name": "www.shop.example.com"}, {"count": 1}),
        Example({"zone": "Z0NOSUCHZONE"}, None, error_contains=(_NO_SUCH_ZONE,)),
    ),
)
def list_records(route53: Route53Client, args: ListRecordsInput) -> ListRecordsOutput:
    """List a hosted zone's record sets with their values or alias targets."""
    zone = _find_zone(route53, args.zone)
    only = _fqdn(args.name) if args.name else None
    question = {"zone": zone, "name": only}
    position = resume(args.cursor, question)
    size = args.max_results
    request: dict[str, Any] = {"HostedZoneId": zone}
    if position is not None:
        if not (isinstance(position.get("n"), str) and isinstance(position.get("s"), int)):
            raise malformed_cursor()
        size = position["s"]
        request |= {"StartRecordName": position["n"], "StartRecordType": position.get("t") or "A"}
        if position.get("i"):
            request["StartRecordIdentifier"] = position["i"]
    elif only:
        request["StartRecordName"] = only
    response = route53.list_resource_record_sets(**request, MaxItems=str(size))
    answered = response.get("ResourceRecordSets", [])
    found = answered[:size]
    after: dict[str, Any] | None = None
    if len(answered) > size:
        after = {
            "n": answered[size]["Name"],
            "t": answered[size]["Type"],
            "i": answered[size].get("SetIdentifier"),
        }
    elif response.get("IsTruncated"):
        after = {
            "n": response["NextRecordName"],
            "t": response.get("NextRecordType"),
            "i": response.get("NextRecordIdentifier"),
        }
    if only:
        # Names sort together: the records of one name are a run from its start.
        found = [r for r in found if _same(r["Name"], only)]
        if after is not None and not _same(after["n"], only):
            after = None

    def cursor_at(k: int) -> str:
        # The record to start at; Route 53 answers from it on.
        r = found[k]
        return bind({"n": r["Name"], "t": r["Type"], "i": r.get("SetIdentifier"), "s": size}, question)

    next_cursor = bind({**after, "s": size}, question) if after else None
    records = [_record(r) for r in found]
    page = ListRecordsOutput(zone_id=zone, count=len(records), records=records, next_cursor=next_cursor)
    return page.resume_with(cursor_at)


# -- changes ----------------------------------------------------------------------------------


class ChangeRecordInput(MutatingInput):
    zone: ZoneRef
    action: Literal["UPSERT", "DELETE"] = Field(description="DELETE removes the record as it stands.")
    name: RecordName
    type: RecordType
    values: Values | None = Field(default=None, description="UPSERT: new values; DELETE: must match.")
    ttl: int = Field(default=300, ge=0, le=604800, description="Seconds.")

    @model_validator(mode="after")
    def _upsert_has_values(self) -> Self:
        if self.action == "UPSERT" and not self.values:
            raise ValueError("UPSERT needs values")
        return self


class ChangeOutput(MutatingOutput):
    change_id: str
    status: str = Field(description="PENDING until every Route 53 server has it, then INSYNC.")
    record: Record


@tool(
    name="route53_change_record",
    title="Upsert or delete a Route 53 record",
    iam_actions=(
        "route53:ListHostedZonesByName",
        "route53:ListResourceRecordSets",
        "route53:ChangeResourceRecordSets",
    ),
    read_only=False,
    # Both replace or remove what resolvers answer: an UPSERT overwrites the values it replaces.
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {
                "zone": "shop.example.com",
                "action": "UPSERT",
                "name": "api.shop.example.com",
                "type": "A",
                "values": ["10.0.1.20"],
            },
            {
                "record": {"name": "api.shop.example.com.", "ttl": 300, "values": ["10.0.1.20"]},
            },
        ),
        Example(
            {
                "zone": "shop.example.com",
                "action": "DELETE",
                "name": "legacy.shop.example.com",
                "type": "CNAME",
                "values": ["elsewhere.example.net"],
            },
            None,
            error_contains=("not deleted", "old-shop.example.net"),
        ),
    ),
)
def change_record(route53: Route53Client, args: ChangeRecordInput) -> ChangeOutput:
    """UPSERT (create or replace) or DELETE a simple record set; not alias records."""
    zone = _find_zone(route53, args.zone)
    name = _fqdn(args.name)
    if args.action == "UPSERT":
        record = {
            "Name": name,
            "Type": args.type,
            "TTL": args.ttl,
            "ResourceRecords": [{"Value": v} for v in args.values or ()],
        }
        return _change(route53, zone, "UPSERT", record)
    # Route 53 deletes only the record exactly as it stands: read it first.
    # The type is Route 53's to check (a Literal here would list every type in the schema).
    start: dict[str, Any] = {"StartRecordName": name, "StartRecordType": args.type}
    found = route53.list_resource_record_sets(HostedZoneId=zone, **start, MaxItems="2")["ResourceRecordSets"]
    matching = [r for r in found if _same(r["Name"], name) and r["Type"] == args.type]
    if not matching:
        raise ToolError(f"Zone {zone} has no {args.type} record named {name}: nothing deleted.")
    if len(matching) > 1:
        raise ToolError(f"{name} {args.type} is several routing-policy records: not deleted.")
    now = _record(matching[0])
    if args.values is not None and sorted(args.values) != sorted(now.values or []):
        held = now.values or now.alias_target
        raise ToolError(f"{name} {args.type} holds {held}, not {args.values}: not deleted.")
    return _change(route53, zone, "DELETE", matching[0])


TOOLSET = "dns"
TOOLS = (list_zones, list_records, change_record)


# -- shaping ----------------------------------------------------------------------------------


def _change(
    route53: Route53Client, zone: str, action: Literal["UPSERT", "DELETE"], record: Any
) -> ChangeOutput:
    info = route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]}
    )["ChangeInfo"]
    return ChangeOutput(
        change_id=info["Id"].rsplit("/", 1)[-1], status=info["Status"], record=_record(record)
    )


def _zone_id(zone: str) -> str:
    return zone.rsplit("/", 1)[-1]


def _find_zone(route53: Route53Client, zone: str) -> str:
    """The id of the zone given by id or by name (a name has a dot, an id none)."""
    if "." not in zone.rstrip("."):
        return _zone_id(zone)
    name = _fqdn(zone)
    found = route53.list_hosted_zones_by_name(DNSName=name, MaxItems="3")["HostedZones"]
    named = [z for z in found if z["Name"] == name]
    if len(named) != 1:
        said = "No hosted zone is" if not named else "Several hosted zones are (public and private)"
        raise ToolError(f"{_NO_SUCH_ZONE}: {said} named {name}. Pass its id from route53_list_zones.")
    return _zone_id(named[0]["Id"])


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def _same(returned: str, name: str) -> bool:
    # Route 53 answers "*" as its octal escape.
    return _fqdn(returned.replace("\\052", "*")) == name


def _record(r: Any) -> Record:
    alias = r.get("AliasTarget")
    return Record(
        name=r["Name"].replace("\\052", "*"),
        type=r.get("Type"),
        ttl=r.get("TTL"),
        values=[v["Value"] for v in r["ResourceRecords"]] if r.get("ResourceRecords") else None,
        alias_target=alias.get("DNSName") if alias else None,
        set_identifier=r.get("SetIdentifier"),
    )
