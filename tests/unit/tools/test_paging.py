"""The compact form of every list (``fields``): declared once from the item, applied once by fit."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, Field, ValidationError

from aws_mcp.jsontext import dumps_text
from aws_mcp.tools import CATALOG
from aws_mcp.tools.contract import RegionalInput
from aws_mcp.tools.paging import Fields, Item, Paged, ResultTooLargeError, asked, fields_of, fit
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.schema import model_schema


def valid_output(registry: ToolRegistry, tool: str, result: dict[str, Any]) -> None:
    """``result`` is valid under ``tool``'s outputSchema, as tools/list serves it (for the service tests)."""
    (definition,) = [d for d in registry.definitions() if d["name"] == tool]
    jsonschema.Draft202012Validator(definition["outputSchema"]).validate(result)


class Disk(Item):
    item_key = "disk_id"

    disk_id: str
    state: str | None = None
    size_gib: int | None = Field(default=None, description="Its size.")
    tags: dict[str, str] | None = None


class ListDisksInput(RegionalInput):
    fields: Fields[Disk] = None


class ListDisksOutput(Paged):
    items_field = "disks"

    region: str
    disks: list[Disk]


class Plain(BaseModel):
    disks: list[Disk]


def disks(n: int) -> ListDisksOutput:
    found = [Disk(disk_id=f"d-{k}", state="ok", size_gib=8, tags={"k": "v" * 40}) for k in range(n)]
    page = ListDisksOutput(region="r", count=n, disks=found, next_cursor=None)
    return page.resume_with(lambda kept: f"after-{kept}")


class TestDeclaring:
    def test_the_choices_are_the_items_fields_but_its_key_bounded_and_said_in_a_line(self) -> None:
        schema = model_schema(ListDisksInput, "validation")["properties"]["fields"]
        assert schema == {
            "type": "array",
            "items": {"type": "string", "enum": ["state", "size_gib", "tags"]},
            "maxItems": 3,
            "description": "Fields per item (disk_id always comes).",
        }
        assert "fields" not in model_schema(ListDisksInput, "validation").get("required", [])

    def test_a_field_the_item_does_not_have_or_its_key_is_refused(self) -> None:
        assert ListDisksInput(fields=["tags", "state"]).fields == ["tags", "state"]
        assert ListDisksInput().fields is None
        for wrong in (["colour"], ["disk_id"], ["state"] * 4):
            with pytest.raises(ValidationError):
                ListDisksInput.model_validate({"fields": wrong})

    def test_an_item_whose_other_fields_have_no_default_is_refused(self) -> None:
        class Bare(Item):
            item_key = "bare_id"

            bare_id: str
            state: str

        with pytest.raises(TypeError, match=r"every field but bare_id needs a default.*\(not state\)"):
            fields_of(Bare)

    def test_a_key_naming_no_field_is_refused(self) -> None:
        class Keyless(Item):
            item_key = "id"

            name: str | None = None

        with pytest.raises(TypeError, match="names no field"):
            fields_of(Keyless)

    def test_a_page_of_something_else_than_items_is_refused(self) -> None:
        class Strings(Paged):
            items_field = "names"

            names: list[str]

        assert ListDisksOutput.item_type() is Disk
        with pytest.raises(TypeError, match="list of Items"):
            Strings.item_type()

    def test_asked_says_whether_a_costly_field_is_wanted(self) -> None:
        assert asked(None, "listeners") and asked(["listeners", "type"], "listeners")
        assert not asked(["type"], "listeners") and not asked([], "listeners")


class TestApplying:
    def test_the_items_keep_their_key_and_the_fields_chosen_in_the_items_order(self) -> None:
        data, text = fit(disks(2), 10_000, ["tags", "state"])
        assert data["disks"] == [
            {"disk_id": "d-0", "state": "ok", "tags": {"k": "v" * 40}},
            {"disk_id": "d-1", "state": "ok", "tags": {"k": "v" * 40}},
        ]
        assert data["region"] == "r" and data["count"] == 2 and text == dumps_text(data)

    def test_no_fields_is_every_field_and_an_empty_list_only_the_key(self) -> None:
        assert fit(disks(1), 10_000)[0]["disks"] == [disks(1).model_dump(mode="json")["disks"][0]]
        assert fit(disks(1), 10_000, [])[0]["disks"] == [{"disk_id": "d-0"}]

    def test_fields_a_tool_left_unset_stay_out(self) -> None:
        page = ListDisksOutput(region="r", count=1, disks=[Disk(disk_id="d-0", state="ok")], next_cursor=None)
        assert fit(page, 10_000, ["state", "tags"])[0]["disks"] == [{"disk_id": "d-0", "state": "ok"}]

    def test_a_compact_page_is_measured_compact_so_more_items_fit(self) -> None:
        full, _ = fit(disks(20), 1500)
        compact, text = fit(disks(20), 1500, ["state"])
        assert full["count"] < 20 and full["truncated"]
        assert compact["count"] == 20 and "truncated" not in compact and len(text) <= 1500

    def test_a_compact_page_cut_to_the_budget_resumes_after_its_last_item(self) -> None:
        data, text = fit(disks(60), 1000, ["size_gib"])
        assert len(text) <= 1000 and data.get("next_cursor") == f"after-{data['count']}"
        assert data["disks"][-1] == {"disk_id": f"d-{data['count'] - 1}", "size_gib": 8}

    def test_a_compact_item_still_too_large_says_to_ask_for_fewer_fields(self) -> None:
        with pytest.raises(ResultTooLargeError, match="ask for fewer fields"):
            fit(disks(3), 60, ["tags"])

    def test_an_output_that_is_not_a_page_is_left_whole(self) -> None:
        whole = Plain(disks=[Disk(disk_id="d-0", state="ok")])
        assert fit(whole, 10_000, ["tags"])[0] == {"disks": [{"disk_id": "d-0", "state": "ok"}]}

    def test_a_compact_page_is_valid_under_the_output_schema(self) -> None:
        validator = jsonschema.Draft202012Validator(model_schema(ListDisksOutput, "serialization"))
        for chosen in ([], ["state"], ["size_gib", "tags"]):
            validator.validate(fit(disks(3), 10_000, chosen)[0])


def _listing_tools() -> list[Any]:
    return sorted((s for s in CATALOG if issubclass(s.output_model, Paged)), key=lambda s: s.name)


class TestEveryList:
    """Every tool answering pages offers the compact form, derived from its item."""

    @pytest.mark.parametrize("spec", _listing_tools(), ids=lambda s: s.name)
    def test_every_list_tool_offers_every_field_of_its_items_but_the_key(self, spec: Any) -> None:
        item = spec.output_model.item_type()
        offered = spec.definition()["inputSchema"]["properties"].get("fields")
        assert offered is not None, f"{spec.name} has no fields argument"
        names = [name for name in item.model_fields if name != item.item_key]
        assert offered["items"]["enum"] == names and offered["maxItems"] == len(names)
        assert f"({item.item_key} always comes)" in offered["description"]

    def test_only_list_tools_take_fields(self) -> None:
        taking = {s.name for s in CATALOG if "fields" in s.input_model.model_fields}
        assert taking == {s.name for s in _listing_tools()}
