"""The demo's containers: the storefront's web service on Fargate (two tasks running, two stopped
with their reasons) in us-east-1, and a reporting cluster in eu-west-1. Tasks run in the default
VPC's subnets."""

from __future__ import annotations

from typing import Any

from moto.moto_api import state_manager

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["STOPPED_REASONS", "seed"]

# Why the storefront's two stopped tasks stopped, as ECS words it.
STOPPED_REASONS = (
    "Essential container in task exited",
    "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "targetgroup/storefront-web/6d0ecf831eec9f09)",
)
_TARGET_GROUP = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/storefront-web/6d0ecf831eec9f09"
)


def seed(clients: DemoClients) -> None:
    # moto moves a task a step towards STOPPED each time it is described (the demo's moto runs in
    # this process); ECS keeps a task RUNNING until it is stopped.
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    storefront = _service(
        clients,
        "us-east-1",
        cluster="storefront",
        service="web",
        image="public.ecr.aws/nginx/nginx:1.27",
        tasks=2,
        load_balancers=[{"targetGroupArn": _TARGET_GROUP, "containerName": "web", "containerPort": 80}],
    )
    for task, reason in zip(_run(clients, "us-east-1", storefront, 2), STOPPED_REASONS, strict=True):
        clients("ecs").stop_task(cluster="storefront", task=task, reason=reason)
    _service(
        clients,
        "eu-west-1",
        cluster="reporting",
        service="report-builder",
        image="public.ecr.aws/docker/library/python:3.13-slim",
        tasks=1,
        load_balancers=[],
    )


def _service(
    clients: DemoClients,
    region: str,
    *,
    cluster: str,
    service: str,
    image: str,
    tasks: int,
    load_balancers: list[dict[str, Any]],
) -> dict[str, Any]:
    """A Fargate service running ``tasks`` tasks; the keyword arguments to run more of them."""
    ecs = clients("ecs", region)
    ecs.create_cluster(clusterName=cluster)
    family = f"{cluster}-{service}"
    ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": service,
                "image": image,
                "essential": True,
                "memory": 512,
                # Tools must never show these values: a plain one and a secret's reference.
                "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                "secrets": [
                    {
                        "name": "DATABASE_URL",
                        "valueFrom": f"arn:aws:secretsmanager:{region}:123456789012:secret:{family}-db",
                    }
                ],
            }
        ],
    )
    network = {"awsvpcConfiguration": {**_default_network(clients, region), "assignPublicIp": "DISABLED"}}
    ecs.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=family,
        desiredCount=tasks,
        launchType="FARGATE",
        networkConfiguration=network,
        loadBalancers=load_balancers,
    )
    # moto counts a new service's tasks as pending until its desired count is set again, and
    # launches none: the service's tasks are run as ECS runs them (its group, started by it).
    ecs.update_service(cluster=cluster, service=service, desiredCount=tasks)
    run = {
        "cluster": cluster,
        "taskDefinition": family,
        "launchType": "FARGATE",
        "networkConfiguration": network,
        "group": f"service:{service}",
        "startedBy": "ecs-svc/demo",
    }
    _run(clients, region, run, tasks)
    return run


def _run(clients: DemoClients, region: str, run: dict[str, Any], count: int) -> list[str]:
    tasks = clients("ecs", region).run_task(**run, count=count)["tasks"]
    return [t["taskArn"] for t in tasks]


def _default_network(clients: DemoClients, region: str) -> dict[str, list[str]]:
    """Two subnets of the default VPC and its default security group."""
    ec2 = clients("ec2", region)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    vpc = subnets[0]["VpcId"]
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return {
        "subnets": sorted(s["SubnetId"] for s in subnets)[:2],
        "securityGroups": [groups[0]["GroupId"]],
    }
