"""The demo's S3 buckets, of mixed posture: one private, encrypted and versioned; one public through
its bucket policy (the one to find); one in eu-west-1 holding logs."""

from __future__ import annotations

import json
from typing import Any

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["BUCKETS", "seed"]

PRIVATE, PUBLIC, EU_LOGS = "acme-web-assets", "acme-public-downloads", "acme-eu-logs"
BUCKETS = (EU_LOGS, PUBLIC, PRIVATE)  # in name order, as ListBuckets answers

_ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
# key, content type, body: (bucket, objects).
_OBJECTS: dict[str, list[tuple[str, str, bytes]]] = {
    PRIVATE: [
        ("assets/css/site.css", "text/css", b"body { margin: 0 }\n"),
        ("assets/css/print.css", "text/css", b"nav { display: none }\n"),
        ("assets/js/app.js", "text/javascript", b"console.log('shop');\n"),
        ("assets/img/logo.svg", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>\n"),
        ("index.html", "text/html", b"<!doctype html><title>ACME</title>\n"),
    ],
    PUBLIC: [
        ("downloads/brochure.pdf", "application/pdf", b"%PDF-1.7 demo\n"),
        ("downloads/price-list.csv", "text/csv", b"sku,price\nA1,9.99\n"),
    ],
    EU_LOGS: [
        (f"logs/2026/{month:02}/{day:02}/app.log", "text/plain", f"2026-{month:02}-{day:02} ok\n".encode())
        for month in (6, 7)
        for day in (1, 2, 3)
    ],
}


def _public_read(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def _encrypt(s3: Any, bucket: str) -> None:
    # As AWS does for every bucket since 2023: SSE-S3 by default.
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def seed(clients: DemoClients) -> None:
    eu = clients("s3", "eu-west-1")
    eu.create_bucket(Bucket=EU_LOGS, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    eu.put_public_access_block(Bucket=EU_LOGS, PublicAccessBlockConfiguration=_ALL_BLOCKED)
    _encrypt(eu, EU_LOGS)

    east = clients("s3")
    east.create_bucket(Bucket=PUBLIC)
    east.put_public_access_block(
        Bucket=PUBLIC, PublicAccessBlockConfiguration=dict.fromkeys(_ALL_BLOCKED, False)
    )
    east.put_bucket_policy(Bucket=PUBLIC, Policy=_public_read(PUBLIC))
    _encrypt(east, PUBLIC)

    east.create_bucket(Bucket=PRIVATE, ObjectOwnership="BucketOwnerEnforced")
    east.put_public_access_block(Bucket=PRIVATE, PublicAccessBlockConfiguration=_ALL_BLOCKED)
    _encrypt(east, PRIVATE)
    east.put_bucket_versioning(Bucket=PRIVATE, VersioningConfiguration={"Status": "Enabled"})

    for bucket, objects in _OBJECTS.items():
        client = eu if bucket == EU_LOGS else east
        for key, content_type, body in objects:
            client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ServerSideEncryption="AES256",
                Metadata={"build": "2026.07.1"} if bucket == PRIVATE else {},
            )
