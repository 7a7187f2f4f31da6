"""Lambda functions.

Gaps in moto's model filled here: it has no delete of its own for a function (the backend
deletes it), ignores ``Tags`` on create, and its update replaces the code even when only the
configuration changed, so configuration, code and tags are updated apart.
"""

from __future__ import annotations

import base64
from typing import Any

from moto.awslambda.models import lambda_backends

from aws_mcp_local.demo.cloudcontrol.types.base import (
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["Function"]

_CONFIGURATION = ("Description", "Handler", "MemorySize", "Role", "Runtime", "Timeout", "Environment")


def _lambda(place: Place) -> Any:
    return lambda_backends[place.account_id][place.region]


class Function(ResourceType):
    type_name = "AWS::Lambda::Function"
    name_property = "FunctionName"

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        # moto's model writes the zipped inline code back into the dict it was given.
        return {**desired, "Code": dict(desired["Code"])}

    def identify(self, made: Any) -> str:
        return str(made.function_name)

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        self._function(place, identifier).tags = tag_dict(desired.get("Tags"))

    def _function(self, place: Place, identifier: str) -> Any:
        function = next((f for f in _lambda(place).list_functions() if f.function_name == identifier), None)
        if function is None:
            raise absent(self.type_name, identifier)
        return function

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        function = self._function(place, identifier)
        return compact(
            {
                "FunctionName": function.function_name,
                "Arn": function.function_arn,
                "Role": function.role,
                "Runtime": function.run_time,
                "Handler": function.handler,
                "Description": function.description or None,
                "MemorySize": int(function.memory_size),
                "Timeout": int(function.timeout),
                "Environment": {"Variables": dict(function.environment_vars)}
                if function.environment_vars
                else None,
                "Tags": tag_list(function.tags),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(f.function_name for f in _lambda(place).list_functions())

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        function = self._function(place, identifier)
        changed = {k: desired.get(k) for k in _CONFIGURATION if desired.get(k) != current.get(k)}
        if "Environment" in changed and not changed["Environment"]:
            changed["Environment"] = {"Variables": {}}
        if changed:
            function.update_configuration({k: v for k, v in changed.items() if v is not None})
        code = desired.get("Code")
        if code and code != current.get("Code"):
            if "ZipFile" in code:
                zipped = function._create_zipfile_from_plaintext_code(code["ZipFile"])
                code = {**code, "ZipFile": base64.b64encode(zipped)}
            function.update_function_code(code)
        function.tags = tag_dict(desired.get("Tags"))

    def delete(self, place: Place, identifier: str) -> None:
        self._function(place, identifier)
        _lambda(place).delete_function(identifier)
