"""Across accounts and regions: fan-out reads (:mod:`.fanout`)."""
