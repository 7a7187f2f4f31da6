"""Pages of list results: cursors bound to the filters they were made for, and pages cut to fit.

* A cursor carries its position and a digest of the filters of the call that made it. A
  cursor passed with other filters is refused (silently dropping or mixing filters would
  answer a different question than the one asked); a cursor that is not ours is refused
  with the advice to start again.
* A list tool's output derives from :class:`Paged`. When its JSON is longer than the
  server's character budget, :func:`fit` cuts the list at an item boundary, says so in
  ``truncated``, and sets ``next_cursor`` to continue right after the last item kept (the
  tool supplies that cursor through :meth:`Paged.resume_with`).
* Its items are each an :class:`Item`, and its input declares ``fields: Fields[TheItem] = None``: a
  caller may ask for only some fields of each item (the item's key always comes). :func:`fit`
  cuts the items to those fields before it measures the page, so a compact answer also fits
  more items in the budget. The tool itself builds whole items, and may skip costly calls for
  fields not asked for (:func:`asked`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, Protocol, Self, TypeVar, get_args

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from aws_mcp.cursor import decode_cursor, encode_cursor
from aws_mcp.errors import ToolError, ToolInputError
from aws_mcp.jsontext import dumps_text

__all__ = [
    "CURSOR_MAX_CHARS",
    "Cursor",
    "Fields",
    "Item",
    "Paged",
    "ResultTooLargeError",
    "TokenPages",
    "asked",
    "bind",
    "cut_to_fit",
    "fields_of",
    "fit",
    "malformed_cursor",
    "page_size",
    "resume",
]

CURSOR_MAX_CHARS: Final = 4096
# The furthest into one AWS answer a cursor may point (APIs that answer everything at once).
MAX_OFFSET: Final = 100_000
T = TypeVar("T")
_FILTERS: Final = "f"
_MAX_PHASE: Final = 16


Cursor = Annotated[
    str | None,
    Field(max_length=CURSOR_MAX_CHARS),
]
"""A list tool's ``cursor`` argument: ``cursor: Cursor = None``."""


def page_size(default: int = 25, *, least: int = 5, most: int = 1000) -> Any:
    """A list tool's ``max_results`` argument: ``max_results: int = page_size()``."""
    return Field(default=default, ge=least, le=most)


class Item(BaseModel):
    """An item of a list tool's answer, which a caller may ask for in a compact form (``fields``).

    ``item_key`` names the field identifying it, which comes in every form. Every other field
    has a default: an item holding only some of its fields is still one (:func:`fields_of`
    checks this).
    """

    item_key: ClassVar[str]


I_co = TypeVar("I_co", bound=Item, covariant=True)


def fields_of(item: type[Item]) -> Any:
    """The annotation of a list tool's ``fields`` argument for items of type ``item``: a bounded
    list of its field names but the key, or None (every field). ``Fields[item]`` spells it."""
    key = item.item_key
    if key not in item.model_fields:
        raise TypeError(f"{item.__name__}.item_key names no field of it: {key!r}")
    names = tuple(name for name in item.model_fields if name != key)
    required = [name for name in names if item.model_fields[name].is_required()]
    if required:
        raise TypeError(
            f"{item.__name__}: every field but {key} needs a default, as a compact item leaves it out "
            f"(not {', '.join(required)})"
        )
    return Annotated[
        list[Literal[names]] | None,  # type: ignore[valid-type]
        Field(
            max_length=len(names),
            description=f"Fields per item ({key} always comes).",
        ),
    ]


if TYPE_CHECKING:

    class FieldNames(Protocol[I_co]):
        """What a type checker sees of ``Fields[I]``: the names of some fields of ``I``."""

        def __contains__(self, name: object, /) -> bool: ...
        def __iter__(self) -> Iterator[str]: ...
        def __len__(self) -> int: ...

    Fields = FieldNames[I_co] | None
else:

    class Fields:
        """A list tool's ``fields`` argument: ``fields: Fields[Volume] = None`` (see :func:`fields_of`)."""

        def __class_getitem__(cls, item: type[Item]) -> Any:
            return fields_of(item)


def asked(fields: Collection[str] | None, name: str) -> bool:
    """Whether a call with these ``fields`` wants the field ``name``: for a tool that skips a costly
    call for a field not asked for."""
    return fields is None or name in fields


class ResultTooLargeError(ToolError):
    """A result over the character budget that cannot be cut at an item boundary."""


def _digest(filters: Mapping[str, Any]) -> str:
    return hashlib.sha256(dumps_text(dict(sorted(filters.items()))).encode()).hexdigest()[:16]


def bind(position: Mapping[str, Any], filters: Mapping[str, Any]) -> str:
    """A cursor for ``position`` that only resumes a call with these ``filters``."""
    return encode_cursor({**position, _FILTERS: _digest(filters)})


def resume(cursor: str | None, filters: Mapping[str, Any]) -> dict[str, Any] | None:
    """The position ``cursor`` holds (None: from the start); ToolInputError unless made for ``filters``."""
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if position is None or not isinstance(position.get(_FILTERS), str):
        raise malformed_cursor()
    if position.pop(_FILTERS) != _digest(filters):
        raise ToolInputError(
            "This cursor belongs to a call with other filters. Pass the same filters (and region) as the "
            "call that returned it, or call again without cursor to start over with the new ones."
        )
    return position


def malformed_cursor() -> ToolInputError:
    return ToolInputError(
        "Invalid cursor: it is damaged or was not made by this tool. Call again without cursor to start "
        "from the first page."
    )


@dataclass(frozen=True, slots=True)
class TokenPages:
    """Where a list over an AWS API paged by ``NextToken`` stands, as its cursor holds it: the token
    its page starts at, how many of that page's items were already returned (a page cut to the
    budget), and the page size, fixed by the first call.

    A list read as several AWS lists one after another (alarms in ALARM, then the rest) also
    holds which of them it is in, its ``phase``.
    """

    question: Mapping[str, Any]
    token: str | None
    offset: int
    size: int
    phase: int = 0

    @classmethod
    def resume(cls, cursor: str | None, question: Mapping[str, Any], page_size: int) -> TokenPages:
        position = resume(cursor, question)
        if position is None:
            return cls(question, None, 0, page_size)
        token, offset, size = position.get("t"), position.get("o", 0), position.get("n")
        phase = position.get("s", 0)
        if not (
            (token is None or (isinstance(token, str) and token))
            and isinstance(offset, int)
            and 0 <= offset <= MAX_OFFSET
            and isinstance(size, int)
            and 5 <= size <= 1000
            and isinstance(phase, int)
            and 0 <= phase <= _MAX_PHASE
        ):
            raise malformed_cursor()
        return cls(question, token, offset, size, phase)

    def fetch(self, call: Callable[..., Any], *, paged_by: str = "NextToken", **request: Any) -> Any:
        """``call(**request)`` for this page, its token passed as the parameter the API is
        ``paged_by`` (``NextToken``, ECS's ``nextToken``, ``Marker``); a token AWS refuses is a
        bad cursor."""
        if self.token is None:
            return call(**request)
        try:
            return call(**request, **{paged_by: self.token})
        except ClientError as err:
            error = err.response.get("Error", {})
            said = f"{error.get('Code', '')} {error.get('Message', '')}".lower()
            if "token" in said or "marker" in said or "pagination" in said:
                raise malformed_cursor() from None
            raise

    def window(self, items: Sequence[T], next_token: str | None) -> tuple[list[T], str | None]:
        """This page's items out of what one AWS call answered, and the cursor after them.

        AWS answers at most the page size, but some APIs answer everything at once (and moto
        ignores the size of many), so a page is cut at the size here and the next one read on
        from the same token, past what was shown.
        """
        shown = list(items[self.offset : self.offset + self.size])
        if self.offset + len(shown) < len(items):
            return shown, self.cursor_at(len(shown))
        return shown, self.next_cursor(next_token)

    def next_cursor(self, next_token: str | None) -> str | None:
        """The cursor of the page after this one (None: this is the last)."""
        return self._bind({"t": next_token}) if next_token else None

    def next_phase(self) -> str:
        """The cursor of the next phase's first page."""
        return bind({"n": self.size, "s": self.phase + 1}, self.question)

    def cursor_at(self, kept: int) -> str:
        """The cursor resuming this page after its first ``kept`` items (for :meth:`Paged.resume_with`)."""
        return self._bind({"t": self.token, "o": self.offset + kept})

    def _bind(self, position: dict[str, Any]) -> str:
        return bind({**position, "n": self.size, **({"s": self.phase} if self.phase else {})}, self.question)


class Paged(BaseModel):
    """Base of every list tool's output. Subclasses name their list field in ``items_field``, a
    list of :class:`Item`."""

    model_config = ConfigDict(defer_build=True)  # built on first use, as the tool inputs are

    items_field: ClassVar[str]

    count: int = Field(description="Number of items on this page.")
    next_cursor: str | None = Field(
        description="Pass as cursor, with the same filters, for the next page; null on the last page."
    )
    truncated: str | None = Field(
        default=None,
        description="Present when this page was cut to fit the server's result size limit: what was "
        "left out and how to get it.",
    )
    _resume: Callable[[int], str] | None = PrivateAttr(default=None)

    def resume_with(self, cursor_at: Callable[[int], str]) -> Self:
        """Say how to continue after the first ``k`` items of this page, should it be cut."""
        self._resume = cursor_at
        return self

    @classmethod
    def item_type(cls) -> type[Item]:
        """The type of the items in ``items_field``."""
        annotation = cls.model_fields[cls.items_field].annotation
        (item,) = get_args(annotation) or (None,)
        if not (isinstance(item, type) and issubclass(item, Item)):
            raise TypeError(f"{cls.__name__}.{cls.items_field} must be a list of Items, not {annotation!r}")
        return item


def fit(output: BaseModel, budget: int, fields: Collection[str] | None = None) -> tuple[dict[str, Any], str]:
    """``output`` as JSON-ready data whose compact JSON has at most ``budget`` characters, and that JSON.

    A result too large for the budget is cut at an item boundary (a page) or shrunk (a result
    with ``shrunk()``); else it is an error saying how to ask for less.
    Fields a tool left unset or that are unknown (None) are left out: a compact form costs
    nothing to ask for, and output schemas say no ``null`` (see ``schema``). A page's items
    keep only their key and ``fields``, when the call chose some.
    """
    data: dict[str, Any] = output.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if fields is not None and isinstance(output, Paged):
        kept = {output.item_type().item_key, *fields}
        data[output.items_field] = [
            {name: value for name, value in item.items() if name in kept} for item in data[output.items_field]
        ]
    text = dumps_text(data)
    size = len(text)
    if size <= budget:
        return data, text
    if not isinstance(output, Paged) or output._resume is None:
        # A result that can say less (a metric's datapoints) offers shrunk(): the same answer
        # with its detail dropped and a note saying so, or None when nothing is left to drop.
        shrink = getattr(output, "shrunk", None)
        smaller = shrink() if callable(shrink) else None
        if isinstance(smaller, BaseModel):
            return fit(smaller, budget, fields)
        raise ResultTooLargeError(_too_large(size, budget))
    field = output.items_field
    items = data[field]
    sizes = [len(dumps_text(item)) for item in items]
    keep = len(items) - 1
    while keep >= 1:
        cut = _cut(output, data, field, keep, budget=budget)
        # The cut's JSON is its shell (with "[]" for the list) plus the items kept and their commas.
        room = budget - len(dumps_text({**cut, field: []})) + 2
        fits = _largest_prefix(sizes, room)
        if fits >= keep:
            return cut, dumps_text(cut)
        keep = fits
    raise ResultTooLargeError(
        _too_large(size, budget) + f" Even one of its {field} is too large: ask for fewer fields."
    )


def cut_to_fit(data: dict[str, Any], field: str, budget: int, advice: str) -> tuple[dict[str, Any], str]:
    """``data`` with its ``field`` list cut to the longest prefix whose JSON fits ``budget``
    characters, ``count`` and ``truncated`` saying so (``advice``: how to get the rest); and that JSON."""
    text = dumps_text(data)
    if len(text) <= budget:
        return data, text
    items = data[field]
    note = (
        f"Cut to {{}} of {len(items)} {field} to fit {budget} characters (AWS_MCP_MAX_RESULT_CHARS). {advice}"
    )
    shell = {**data, field: [], "count": len(items), "truncated": note.format(len(items))}
    room = budget - len(dumps_text(shell)) + 2
    keep = _largest_prefix([len(dumps_text(item)) for item in items], room)
    if keep == 0:
        raise ResultTooLargeError(_too_large(len(text), budget) + f" {advice}")
    cut = {**data, field: items[:keep], "count": keep, "truncated": note.format(keep)}
    return cut, dumps_text(cut)


def _cut(output: Paged, data: dict[str, Any], field: str, keep: int, *, budget: int) -> dict[str, Any]:
    assert output._resume is not None
    changed = {
        field: data[field][:keep],
        "count": keep,
        "next_cursor": output._resume(keep),
        "truncated": f"Cut to {keep} of the {len(data[field])} {field} on this page to fit {budget} "
        "characters (AWS_MCP_MAX_RESULT_CHARS). Pass next_cursor for the rest, or ask for fewer fields or a "
        "smaller max_results.",
    }
    order = [name for name in type(output).model_fields if name in data or name in changed]
    return {name: changed.get(name, data.get(name)) for name in order}


def _largest_prefix(sizes: list[int], room: int) -> int:
    """How many leading items fit in ``room`` characters as a JSON list."""
    used = 2  # the brackets
    for k, size in enumerate(sizes):
        used += size + (1 if k else 0)
        if used > room:
            return k
    return len(sizes)


def _too_large(size: int, budget: int) -> str:
    return (
        f"The result is {size} characters, more than this server's limit of {budget} "
        "(AWS_MCP_MAX_RESULT_CHARS). Ask for less in one call."
    )
