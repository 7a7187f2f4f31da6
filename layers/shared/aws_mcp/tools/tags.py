"""Tags as tools take them, bounded as AWS bounds them: to filter by, and to set."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

__all__ = ["TagFilter", "TagKey", "TagValue", "Tags", "tag_filter", "tags_to_set"]

TagKey = Annotated[str, Field(min_length=1, max_length=128)]
TagValue = Annotated[str, Field(max_length=256)]
# ``tags: TagFilter = tag_filter()`` / ``tags: Tags = tags_to_set()``
TagFilter = dict[TagKey, TagValue] | None
Tags = dict[TagKey, TagValue] | None


def tag_filter(most: int = 20) -> Any:
    """A list tool's ``tags`` argument: only what carries all of them ("*": any value of that key)."""
    return Field(default=None, max_length=most, description='Tags all must carry; "*" matches any value.')


def tags_to_set(most: int = 50) -> Any:
    """A creating tool's ``tags`` argument (AWS allows 50 per resource)."""
    return Field(default=None, max_length=most, description='Tags to set, such as {"team": "web"}.')
