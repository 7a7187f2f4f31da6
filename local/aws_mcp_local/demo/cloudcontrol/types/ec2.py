"""EC2: instances, VPCs, subnets, security groups.

Gaps in moto's models filled here: an instance's ``delete_from_cloudformation_json`` finds it by
a stack's logical-id tag (so it is terminated here by id) and it has no update (instance type
and tags are changed here); the instance model reads ``SecurityGroups`` as group ids, so the
schema's ``SecurityGroupIds`` is passed under that name; a security group's ingress rules are
authorized here, as the model passes a rule's ``CidrIp`` where moto wants a list of ranges,
and its update deletes and recreates the group (a new id), so rules and tags change in place.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends

from aws_mcp_local.demo.cloudcontrol.types.base import (
    HandlerError,
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["Instance", "SecurityGroup", "Subnet", "Vpc"]


def _backend(place: Place) -> Any:
    return ec2_backends[place.account_id][place.region]


class _Tagged(ResourceType):
    """EC2's one tag store, keyed by resource id."""

    def tags(self, place: Place, identifier: str) -> list[dict[str, str]]:
        return tag_list(dict(_backend(place).tags.get(identifier, {})))

    def retag(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        before, after = tag_dict(current.get("Tags")), tag_dict(desired.get("Tags"))
        gone = [k for k in before if k not in after]
        if gone:
            _backend(place).delete_tag_keys([identifier], gone)
        if after and after != before:
            _backend(place).create_tags([identifier], after)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        self.retag(place, identifier, current, desired)


class Instance(_Tagged):
    type_name = "AWS::EC2::Instance"

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        properties = {k: v for k, v in desired.items() if k != "SecurityGroupIds"}
        if desired.get("SecurityGroupIds"):
            properties["SecurityGroups"] = desired["SecurityGroupIds"]
        return properties

    def _instance(self, place: Place, identifier: str) -> Any:
        for instance in _backend(place).all_instances():
            if instance.id == identifier and instance.state != "terminated":
                return instance
        raise absent(self.type_name, identifier)

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        instance = self._instance(place, identifier)
        return compact(
            {
                "InstanceId": instance.id,
                "ImageId": instance.image_id,
                "InstanceType": instance.instance_type,
                "SubnetId": instance.subnet_id,
                "SecurityGroupIds": [group.id for group in instance.security_groups],
                "KeyName": instance.key_name,
                "PrivateIpAddress": instance.private_ip,
                "PublicIp": instance.public_ip,
                "PrivateDnsName": instance.private_dns_name,
                "PublicDnsName": instance.public_dns_name,
                "AvailabilityZone": instance.placement.zone,
                "State": {"Code": str(instance.state_code), "Name": instance.state},
                "Tags": self.tags(place, instance.id),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(i.id for i in _backend(place).all_instances() if i.state != "terminated")

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        if desired.get("InstanceType") != current.get("InstanceType"):
            _backend(place).modify_instance_attribute(identifier, "instance_type", desired["InstanceType"])
        self.retag(place, identifier, current, desired)

    def delete(self, place: Place, identifier: str) -> None:
        self._instance(place, identifier)
        _backend(place).terminate_instances([identifier])


class Vpc(_Tagged):
    type_name = "AWS::EC2::VPC"

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        for prop, attribute in (
            ("EnableDnsSupport", "enable_dns_support"),
            ("EnableDnsHostnames", "enable_dns_hostnames"),
        ):
            if prop in desired:
                _backend(place).modify_vpc_attribute(identifier, attribute, bool(desired[prop]))

    def _vpc(self, place: Place, identifier: str) -> Any:
        vpc = _backend(place).vpcs.get(identifier)
        if vpc is None:
            raise absent(self.type_name, identifier)
        return vpc

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        vpc = self._vpc(place, identifier)
        default_group = _backend(place).get_security_group_from_name("default", vpc_id=vpc.id)
        return compact(
            {
                "VpcId": vpc.id,
                "CidrBlock": vpc.cidr_block,
                "InstanceTenancy": vpc.instance_tenancy,
                "EnableDnsSupport": _flag(vpc.enable_dns_support),
                "EnableDnsHostnames": _flag(vpc.enable_dns_hostnames),
                "DefaultSecurityGroup": default_group.id if default_group else None,
                "Tags": self.tags(place, vpc.id),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(_backend(place).vpcs)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        self.after_create(place, identifier, desired)
        self.retag(place, identifier, current, desired)

    def delete(self, place: Place, identifier: str) -> None:
        self._vpc(place, identifier)
        _backend(place).delete_vpc(identifier)


def _flag(value: Any) -> bool:
    # moto keeps some VPC attributes as the strings the query API sent.
    return value if isinstance(value, bool) else str(value).lower() == "true"


class Subnet(_Tagged):
    type_name = "AWS::EC2::Subnet"

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        if "MapPublicIpOnLaunch" in desired:
            _backend(place).modify_subnet_attribute(
                identifier, "map_public_ip_on_launch", bool(desired["MapPublicIpOnLaunch"])
            )

    def _subnet(self, place: Place, identifier: str) -> Any:
        for subnets in _backend(place).subnets.values():
            if identifier in subnets:
                return subnets[identifier]
        raise absent(self.type_name, identifier)

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        subnet = self._subnet(place, identifier)
        return compact(
            {
                "SubnetId": subnet.id,
                "VpcId": subnet.vpc_id,
                "CidrBlock": subnet.cidr_block,
                "AvailabilityZone": subnet.availability_zone,
                "AvailabilityZoneId": subnet.availability_zone_id,
                "MapPublicIpOnLaunch": _flag(subnet.map_public_ip_on_launch),
                "Tags": self.tags(place, subnet.id),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(s for subnets in _backend(place).subnets.values() for s in subnets)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        self.after_create(place, identifier, desired)
        self.retag(place, identifier, current, desired)

    def delete(self, place: Place, identifier: str) -> None:
        self._subnet(place, identifier)
        _backend(place).delete_subnet(identifier)


class SecurityGroup(_Tagged):
    type_name = "AWS::EC2::SecurityGroup"
    name_property = "GroupName"

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        return {k: v for k, v in desired.items() if k != "SecurityGroupIngress"}

    def identify(self, made: Any) -> str:
        return str(made.id)

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        for rule in desired.get("SecurityGroupIngress", ()):
            self._ingress(place, identifier, rule, _backend(place).authorize_security_group_ingress)

    def _ingress(self, place: Place, identifier: str, rule: dict[str, Any], act: Any) -> None:
        protocol = str(rule["IpProtocol"])
        if protocol != "-1" and ("FromPort" not in rule or "ToPort" not in rule):
            raise HandlerError(
                "InvalidRequest", f"Ingress rules of protocol {protocol} need FromPort and ToPort."
            )
        ip_range = {"CidrIp": rule["CidrIp"]} if rule.get("CidrIp") else None
        if ip_range and rule.get("Description"):
            ip_range["Description"] = rule["Description"]
        source = rule.get("SourceSecurityGroupId")
        act(
            group_name_or_id=identifier,
            ip_protocol=protocol,
            from_port=rule.get("FromPort"),
            to_port=rule.get("ToPort"),
            ip_ranges=[ip_range] if ip_range else [],
            source_groups=[{"GroupId": source}] if source else [],
            vpc_id=self._group(place, identifier).vpc_id,
        )

    def _group(self, place: Place, identifier: str) -> Any:
        group = _backend(place).get_security_group_from_id(identifier)
        if group is None:
            raise absent(self.type_name, identifier)
        return group

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        group = self._group(place, identifier)
        return compact(
            {
                "Id": group.id,
                "GroupId": group.id,
                "GroupName": group.name,
                "GroupDescription": group.description,
                "VpcId": group.vpc_id,
                "SecurityGroupIngress": [_rule(rule) for rule in group.ingress_rules],
                "Tags": self.tags(place, group.id),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        groups = _backend(place).groups
        return sorted(group_id for by_vpc in groups.values() for group_id in by_vpc)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        before = current.get("SecurityGroupIngress", [])
        after = desired.get("SecurityGroupIngress", [])
        backend = _backend(place)
        for rule in before:
            if rule not in after:
                self._ingress(place, identifier, rule, backend.revoke_security_group_ingress)
        for rule in after:
            if rule not in before:
                self._ingress(place, identifier, rule, backend.authorize_security_group_ingress)
        self.retag(place, identifier, current, desired)

    def delete(self, place: Place, identifier: str) -> None:
        self._group(place, identifier)
        _backend(place).delete_security_group(group_id=identifier)


def _rule(rule: Any) -> dict[str, Any]:
    """One of moto's rules (a protocol and ports from one range or group) in the schema's shape."""
    return compact(
        {
            "IpProtocol": rule.ip_protocol,
            "FromPort": rule.from_port,
            "ToPort": rule.to_port,
            "CidrIp": rule.ip_range.get("CidrIp"),
            "SourceSecurityGroupId": rule.source_group.get("GroupId"),
            "Description": rule.ip_range.get("Description"),
        }
    )
