"""One executor call against AWS: its pages followed within the result budget, ``--query`` applied.

Pagination follows botocore's paginator model for the operation (its input and output tokens
and result keys), page by page, so the executor can stop between pages: when the answer would
outgrow the budget (the page that overflows is left for the next call, whose
``--starting-token`` the answer gives), at ``--max-items``, or when the call's time is nearly
up. A first page too large on its own is cut to the items that fit, and says so.
``--query`` (JMESPath, by the ``jmespath`` library botocore itself uses) shapes the merged
result, as the AWS CLI applies it to the whole answer.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import jmespath
import orjson
from jmespath.exceptions import JMESPathError

from aws_mcp.errors import ToolInputError
from aws_mcp.executor.command import CliCall
from aws_mcp.resilience.deadline import call_deadline

__all__ = ["CliAnswer", "Paginators", "execute"]

# Pages fetched at most in one call (each within the AWS read timeout).
MAX_PAGES: Final = 20
# Time left before the call's deadline under which no further page is fetched.
_PAGE_SECONDS: Final = 6.0

Paginators = Callable[[str, str], dict[str, Any] | None]
"""``paginators(service, operation)``: botocore's paginator config, or None (not paginated)."""


@dataclass(frozen=True, slots=True)
class CliAnswer:
    result: Any
    pages: int
    next_token: str | None = None
    truncated: str | None = None


def execute(client: Any, call: CliCall, paginators: Paginators, budget: int) -> CliAnswer:
    """Run ``call`` with ``client`` (of its service), its answer's JSON within ``budget`` characters."""
    method = getattr(client, _snake(client, call.operation))
    expression = _compiled(call.query)
    config = paginators(call.service, call.operation) if call.paginate else None
    if config is None:
        result = _clean(method(**call.parameters))
        return _fitted(result, expression, budget, pages=1)
    return _paged(method, call, config, expression, budget)


def _paged(method: Any, call: CliCall, config: dict[str, Any], expression: Any, budget: int) -> CliAnswer:
    inputs, outputs = _listed(config["input_token"]), _listed(config["output_token"])
    keys = [k for k in _listed(config.get("result_key", [])) if k.isidentifier()]
    limit = config.get("limit_key")
    request = dict(call.parameters)
    if call.page_size and limit:
        request[limit] = call.page_size
    if call.starting_token:
        request.update(_decode(call.starting_token, inputs))
    merged: dict[str, Any] | None = None
    pages, items = 0, 0
    token: dict[str, Any] | None = None
    while True:
        page = _clean(method(**request))
        pages += 1
        token = _next(page, inputs, outputs, config.get("more_results"))
        candidate = _merge(merged, page, keys)
        items = sum(len(candidate.get(k) or []) for k in keys)
        if merged is not None and _size(_shaped(candidate, expression)) > budget:
            # This page would not fit: the next call starts at it (its request's token).
            previous = {name: request[name] for name in inputs if name in request}
            return CliAnswer(_shaped(merged, expression), pages - 1, _encode(previous) if previous else None)
        merged = candidate
        if call.max_items is not None and items >= call.max_items:
            for k in keys:
                if isinstance(merged.get(k), list):
                    merged[k] = merged[k][: call.max_items]
            break
        if token is None or pages >= MAX_PAGES or _out_of_time():
            break
        request.update(token)
    answer = _fitted(merged, expression, budget, pages=pages)
    if answer.truncated is None and token is not None:
        return CliAnswer(answer.result, pages, _encode(token))
    return answer


def _fitted(result: Any, expression: Any, budget: int, *, pages: int) -> CliAnswer:
    shaped = _shaped(result, expression)
    if _size(shaped) <= budget:
        return CliAnswer(shaped, pages)
    # One page too large: cut its longest list to what fits.
    if isinstance(shaped, dict):
        lists = sorted((k for k, v in shaped.items() if isinstance(v, list)), key=lambda k: -len(shaped[k]))
        if lists:
            key, full = lists[0], shaped[lists[0]]
            kept = list(full)
            while kept and _size({**shaped, key: kept}) > budget:
                kept = kept[: max(len(kept) // 2, len(kept) - max(1, len(kept) // 10))]
            if kept or _size({**shaped, key: []}) <= budget:
                note = (
                    f"{key}: {len(kept)} of {len(full)} kept to fit the result budget. Ask for less with "
                    "--query (fewer fields), --page-size, or filters."
                )
                return CliAnswer({**shaped, key: kept}, pages, truncated=note)
    if isinstance(shaped, list):
        kept = list(shaped)
        while kept and _size(kept) > budget:
            kept = kept[: len(kept) // 2]
        note = f"{len(kept)} of {len(shaped)} kept to fit the result budget; ask for less with --query."
        return CliAnswer(kept, pages, truncated=note)
    raise ToolInputError(
        f"The answer is {_size(shaped):,} characters, over the {budget:,} a result may hold. Narrow it "
        "with --query, filters or --page-size."
    )


def _merge(merged: dict[str, Any] | None, page: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    if merged is None:
        return dict(page)
    combined = dict(merged)
    for key in keys:
        if isinstance(page.get(key), list):
            combined[key] = [*(combined.get(key) or []), *page[key]]
    return combined


def _next(
    page: dict[str, Any], inputs: list[str], outputs: list[str], more: str | None
) -> dict[str, Any] | None:
    if more is not None and not jmespath.search(more, page):
        return None
    values = [jmespath.search(expression, page) for expression in outputs]
    if all(v is None or v == "" for v in values):
        return None
    return {name: value for name, value in zip(inputs, values, strict=False) if value is not None}


def _compiled(query: str | None) -> Any:
    if query is None:
        return None
    try:
        return jmespath.compile(query)
    except JMESPathError as err:
        raise ToolInputError(
            f"--query is not JMESPath ({err}). See https://jmespath.org for the syntax."
        ) from None


def _shaped(result: Any, expression: Any) -> Any:
    return result if expression is None else expression.search(result)


def _clean(response: dict[str, Any]) -> dict[str, Any]:
    """The response without botocore's metadata, in JSON types (times as ISO text)."""
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(body, default=_jsonable))
    return loaded


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _size(value: Any) -> int:
    return len(orjson.dumps(value))


def _listed(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _encode(token: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(token)).decode()


def _decode(text: str, inputs: list[str]) -> dict[str, Any]:
    try:
        token = orjson.loads(base64.urlsafe_b64decode(text.encode()))
    except Exception:
        token = None
    if not isinstance(token, dict) or not set(token) <= set(inputs):
        raise ToolInputError(
            "--starting-token is not one this server gave for this command; start without it."
        )
    return token


def _out_of_time() -> bool:
    deadline = call_deadline()
    return deadline is not None and deadline - time.monotonic() < _PAGE_SECONDS


def _snake(client: Any, operation: str) -> str:
    names: dict[str, str] = {v: k for k, v in client.meta.method_to_api_mapping.items()}
    return names[operation]
