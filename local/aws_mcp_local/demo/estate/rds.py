"""The demo's databases: in us-east-1 the orders database (postgres, Multi-AZ, protected), a legacy
mysql instance left stopped (unencrypted, public: findings to make), the catalogue's Aurora cluster
with one writer, and manual snapshots; in eu-west-1 a reporting database. Every master password is
kept by Secrets Manager: the demo holds none in the clear."""

from __future__ import annotations

from typing import Any

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["seed"]

_MANAGED = {"MasterUsername": "dbadmin", "ManageMasterUserPassword": True}


def seed(clients: DemoClients) -> None:
    rds = clients("rds")
    _instance(
        rds,
        DBInstanceIdentifier="orders-db",
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.m6g.large",
        AllocatedStorage=100,
        MultiAZ=True,
        PubliclyAccessible=False,
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
        DeletionProtection=True,
    )
    _instance(
        rds,
        DBInstanceIdentifier="legacy-mysql",
        Engine="mysql",
        EngineVersion="8.0.36",
        DBInstanceClass="db.t3.medium",
        AllocatedStorage=20,
        StorageType="gp2",
        PubliclyAccessible=True,
        BackupRetentionPeriod=1,
    )
    rds.create_db_snapshot(
        DBInstanceIdentifier="legacy-mysql", DBSnapshotIdentifier="legacy-mysql-before-stop"
    )
    rds.stop_db_instance(DBInstanceIdentifier="legacy-mysql")
    rds.create_db_cluster(
        DBClusterIdentifier="catalog",
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
        **_MANAGED,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="catalog-1",
        DBClusterIdentifier="catalog",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        PubliclyAccessible=False,
    )
    rds.create_db_snapshot(
        DBInstanceIdentifier="orders-db", DBSnapshotIdentifier="orders-db-before-v2-migration"
    )
    rds.create_db_cluster_snapshot(
        DBClusterIdentifier="catalog", DBClusterSnapshotIdentifier="catalog-before-reindex"
    )
    _instance(
        clients("rds", "eu-west-1"),
        DBInstanceIdentifier="reporting-eu",
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=50,
        PubliclyAccessible=False,
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
    )


def _instance(rds: Any, **request: Any) -> None:
    rds.create_db_instance(**{"StorageType": "gp3", **_MANAGED, **request})
