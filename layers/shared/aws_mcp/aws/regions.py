"""The AWS regions a caller may name: those botocore's partition data lists.

A region name that merely looks right (``xx-nowhere-9``) would otherwise reach endpoint
resolution and DNS, fail as an "internal" error, and leave a client cached for it. The
list grows with botocore; ``*-global`` pseudo-regions are not places to act in.
"""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader

__all__ = ["check_region", "known_regions"]


@cache
def known_regions() -> frozenset[str]:
    partitions = Loader().load_data("partitions")["partitions"]
    return frozenset(
        name for partition in partitions for name in partition["regions"] if not name.endswith("-global")
    )


def check_region(name: str) -> str:
    """``name`` when it is a region; a ValueError that says how to find one otherwise."""
    if name not in known_regions():
        raise ValueError(
            f"{name!r} is not an AWS region. Name one such as us-east-1 or eu-west-1, or omit region "
            "for the server's default (aws_whoami shows it); `aws ec2 describe-regions` lists the "
            "regions enabled for the account"
        )
    return name
