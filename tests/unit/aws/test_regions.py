"""Callers may name the regions botocore knows, and nothing else."""

from __future__ import annotations

import pytest

from aws_mcp.aws.regions import check_region, known_regions


@pytest.mark.parametrize("name", ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"])
def test_real_regions_of_every_partition_are_accepted(name: str) -> None:
    assert check_region(name) == name


@pytest.mark.parametrize("name", ["xx-nowhere-9", "us-east-99", "aws-global", "moon-base-1"])
def test_made_up_regions_are_refused_with_how_to_find_real_ones(name: str) -> None:
    with pytest.raises(ValueError, match="describe-regions"):
        check_region(name)


def test_pseudo_regions_are_not_places_to_act_in() -> None:
    assert not any(name.endswith("-global") for name in known_regions())
