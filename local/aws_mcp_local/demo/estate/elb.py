"""Load balancing: the storefront's application load balancer in us-east-1 forwarding HTTP:80 to the
target group "storefront-web" (the Auto Scaling group of estate/autoscaling registers into it, and a
stopped canary was left registered), and an internal network load balancer in eu-west-1."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from aws_mcp_local.demo.estate import DEMO_IMAGE, DemoClients

__all__ = ["STOREFRONT_GROUP", "STOREFRONT_TARGETS", "default_network", "link_storefront", "seed"]

STOREFRONT_TARGETS = "storefront-web"
# The Auto Scaling group serving it (estate/autoscaling seeds it).
STOREFRONT_GROUP = "storefront-web-asg"


def default_network(ec2: Any) -> tuple[str, list[str]]:
    """The default VPC's id and its subnets' ids, in zone order."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, [s["SubnetId"] for s in sorted(subnets, key=lambda s: s["AvailabilityZone"])]


def seed(clients: DemoClients) -> None:
    _storefront(clients)
    _api_eu(clients)
    link_storefront(clients)


def link_storefront(clients: DemoClients) -> None:
    """Attach the storefront's Auto Scaling group to its target group once both exist: the parts seed
    in any order, and each calls this after its own."""
    try:
        (group,) = clients("elbv2").describe_target_groups(Names=[STOREFRONT_TARGETS])["TargetGroups"]
    except ClientError:
        return
    autoscaling = clients("autoscaling")
    if autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[STOREFRONT_GROUP])[
        "AutoScalingGroups"
    ]:
        autoscaling.attach_load_balancer_target_groups(
            AutoScalingGroupName=STOREFRONT_GROUP, TargetGroupARNs=[group["TargetGroupArn"]]
        )


def _storefront(clients: DemoClients) -> None:
    ec2, elbv2 = clients("ec2"), clients("elbv2")
    vpc, subnets = default_network(ec2)
    alb = elbv2.create_load_balancer(
        Name="storefront-alb", Subnets=subnets[:2], Type="application", Scheme="internet-facing"
    )["LoadBalancers"][0]
    targets = elbv2.create_target_group(
        Name=STOREFRONT_TARGETS,
        Protocol="HTTP",
        Port=80,
        VpcId=vpc,
        TargetType="instance",
        HealthCheckPath="/health",
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": targets}],
    )
    # A canary registered by hand and stopped since: the target health worth reading ("unused").
    canary = ec2.run_instances(
        ImageId=DEMO_IMAGE,
        InstanceType="t3.small",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnets[0],
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [
                    {"Key": "Name", "Value": "web-canary-1"},
                    {"Key": "env", "Value": "staging"},
                    {"Key": "team", "Value": "storefront"},
                    {"Key": "service", "Value": "web"},
                ],
            }
        ],
    )["Instances"][0]["InstanceId"]
    elbv2.register_targets(TargetGroupArn=targets, Targets=[{"Id": canary}])
    ec2.stop_instances(InstanceIds=[canary])


def _api_eu(clients: DemoClients) -> None:
    """An internal network load balancer passing TLS through to two addresses (no instances: the
    region's fleet stays as estate/ec2 seeds it)."""
    region = "eu-west-1"
    vpc, subnets = default_network(clients("ec2", region))
    elbv2 = clients("elbv2", region)
    nlb = elbv2.create_load_balancer(
        Name="api-eu-nlb", Subnets=subnets[:3], Type="network", Scheme="internal"
    )
    targets = elbv2.create_target_group(
        Name="api-eu", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip", HealthCheckProtocol="TCP"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=nlb["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="TCP",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": targets}],
    )
    elbv2.register_targets(TargetGroupArn=targets, Targets=[{"Id": "172.31.16.10"}, {"Id": "172.31.32.10"}])
