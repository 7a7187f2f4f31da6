"""Auto Scaling in us-east-1: the storefront's web tier (a launch template, 2 to 4 instances, attached
to the "storefront-web" target group of estate/elb) and an idle batch group (a launch configuration,
scaled to zero). Its instances carry no env=prod tag: the fleet's prod count stays as estate/ec2 seeds it."""

from __future__ import annotations

from aws_mcp_local.demo.estate import DEMO_IMAGE, DemoClients
from aws_mcp_local.demo.estate.elb import STOREFRONT_GROUP, default_network, link_storefront

__all__ = ["seed"]


def seed(clients: DemoClients) -> None:
    ec2, autoscaling = clients("ec2"), clients("autoscaling")
    _, subnets = default_network(ec2)
    ec2.create_launch_template(
        LaunchTemplateName="storefront-web",
        LaunchTemplateData={"ImageId": DEMO_IMAGE, "InstanceType": "t3.small"},
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=STOREFRONT_GROUP,
        LaunchTemplate={"LaunchTemplateName": "storefront-web", "Version": "$Latest"},
        MinSize=2,
        DesiredCapacity=2,
        MaxSize=4,
        VPCZoneIdentifier=",".join(subnets[:2]),
        HealthCheckType="ELB",
        HealthCheckGracePeriod=120,
        Tags=[
            {"Key": key, "Value": value, "PropagateAtLaunch": True}
            for key, value in (("Name", "storefront-web"), ("team", "storefront"), ("service", "web"))
        ],
    )
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="reports-batch", ImageId=DEMO_IMAGE, InstanceType="r6i.large"
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="reports-batch-asg",
        LaunchConfigurationName="reports-batch",
        MinSize=0,
        DesiredCapacity=0,
        MaxSize=6,
        VPCZoneIdentifier=",".join(subnets[:2]),
        Tags=[{"Key": "team", "Value": "data", "PropagateAtLaunch": True}],
    )
    link_storefront(clients)
