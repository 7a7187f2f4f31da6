"""IAM policy simulation for the demo AWS, which moto lacks (SimulatePrincipalPolicy).

A role's identity policies only (its attached and inline ones), wildcards in actions and
resources, Deny over Allow, no conditions: enough for the demo to answer ``iam_simulate``.
Real IAM weighs far more (conditions, boundaries, SCPs, resource policies); the tool's tests
check its reading of those answers with botocore's Stubber.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

__all__ = ["install"]


def install() -> None:
    """Teach moto's IAM (this process's, which the demo server serves) to simulate."""
    from moto.iam.responses import IamResponse

    IamResponse.simulate_principal_policy = _simulate_principal_policy  # type: ignore[attr-defined]


def _simulate_principal_policy(self: Any) -> Any:
    from moto.core.responses import ActionResult

    source = self._get_param("PolicySourceArn")
    actions = self._get_param("ActionNames", [])
    resources = self._get_param("ResourceArns") or ["*"]
    policies = _role_policies(self.backend, source.rsplit("/", 1)[-1])
    results = [_evaluate(policies, action, resource) for action in actions for resource in resources]
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def _role_policies(backend: Any, role_name: str) -> dict[str, Any]:
    """The role's policy documents by name (raises moto's NoSuchEntity for an unknown role)."""
    role = backend.get_role(role_name)
    documents = {
        policy.name: next(v.document for v in policy.versions if v.is_default)
        for policy in role.managed_policies.values()
    }
    for name in backend.list_role_policies(role_name):
        documents[name] = backend.get_role_policy(role_name, name)[1]
    return {name: json.loads(unquote(d)) if isinstance(d, str) else d for name, d in documents.items()}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _evaluate(policies: dict[str, Any], action: str, resource: str) -> dict[str, Any]:
    matched: dict[str, list[dict[str, str]]] = {"Allow": [], "Deny": []}
    for name, document in policies.items():
        for statement in _listed(document.get("Statement", [])):
            acts = any(
                fnmatchcase(action.lower(), str(a).lower()) for a in _listed(statement.get("Action", []))
            )
            on = any(fnmatchcase(resource, str(r)) for r in _listed(statement.get("Resource", [])))
            if acts and on:
                matched[statement.get("Effect", "Allow")].append(
                    {"SourcePolicyId": name, "SourcePolicyType": "IAM Policy"}
                )
    decision = "explicitDeny" if matched["Deny"] else "allowed" if matched["Allow"] else "implicitDeny"
    return {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision,
        "MatchedStatements": matched["Deny"] or matched["Allow"],
        "MissingContextValues": [],
    }
