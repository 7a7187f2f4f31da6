"""OAuth 2.1 bearer tokens (``AuthMode=OAUTH``), as the MCP authorization spec has HTTP servers do.

The server is an OAuth resource server: it checks each request's access token (a JWT) itself,
signature against the issuer's JWKS (fetched and cached, read again when a token names a key it
has not seen: a rotated key), issuer, audience (``aud``, or a Cognito access token's
``client_id``), expiry, and that the caller has a role (its scopes or groups); it publishes
RFC 9728 protected-resource metadata naming its authorization server. It never passes a token on.

PyJWT does the JWT and JWKS work (``jwt.PyJWKClient``). It and ``cryptography`` are imported
only when a deployment uses OAUTH (:func:`bearer_tokens`), keeping them off every other cold start.
Only asymmetric algorithms are accepted, so ``alg: none`` and an HMAC signed with a public key
are refused before any key is looked at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import jwt

__all__ = [
    "ALGORITHMS",
    "BearerTokens",
    "OAuth",
    "Refusal",
    "TokenCaller",
    "bearer_tokens",
    "metadata",
]

logger = logging.getLogger(__name__)

ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# Clock skew allowed between the issuer and this server.
LEEWAY_SECONDS: Final = 30
_MAX_TOKEN: Final = 16_384


@dataclass(frozen=True, slots=True)
class TokenCaller:
    """Who a valid token says is calling, and what it may ask for."""

    caller: str
    scopes: frozenset[str]
    groups: frozenset[str]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request's token is not enough: 401 (none or invalid), 403 (insufficient scope), 503."""

    status: int
    description: str
    # RFC 6750's error code: None (no token at all), invalid_token, insufficient_scope.
    error: str | None = None
    scope: str | None = None


class BearerTokens:
    """The access tokens one issuer signs for this server."""

    def __init__(
        self,
        issuer: str,
        audiences: tuple[str, ...],
        jwks: jwt.PyJWKClient,
        *,
        has_role: Callable[[TokenCaller], bool],
        least_scope: str,
    ) -> None:
        self._issuer = issuer
        self._audiences = frozenset(audiences)
        self._jwks = jwks
        self._has_role = has_role
        self._least_scope = least_scope

    def check(self, authorization: str | None) -> TokenCaller | Refusal:
        import jwt

        if not authorization:
            return Refusal(401, "This server needs an OAuth access token (Authorization: Bearer ...)")
        kind, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if kind.lower() != "bearer" or not token or len(token) > _MAX_TOKEN:
            return Refusal(401, "The Authorization header must be: Bearer <access token>", "invalid_token")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                return Refusal(
                    401, f"Tokens signed with {header.get('alg')!r} are not accepted", "invalid_token"
                )
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(ALGORITHMS),
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.PyJWKClientConnectionError as err:
            logger.warning("oauth: the issuer's keys could not be read: %s", err)
            return Refusal(503, "The token issuer's keys could not be read; try again shortly")
        except jwt.ExpiredSignatureError:
            return Refusal(401, "The access token has expired", "invalid_token")
        except jwt.InvalidIssuerError:
            return Refusal(401, "The access token was issued by another issuer", "invalid_token")
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as err:
            return Refusal(401, f"The access token is invalid: {_short(err)}", "invalid_token")
        if claims.get("token_use") == "id":
            return Refusal(401, "An ID token is not an access token", "invalid_token")
        if not self._for_us(claims):
            return Refusal(401, "The access token is not meant for this server (audience)", "invalid_token")
        caller = TokenCaller(
            caller=str(claims["sub"]),
            scopes=frozenset(str(claims.get("scope", "")).split()) | frozenset(_list(claims.get("scp"))),
            groups=frozenset(_list(claims.get("cognito:groups")) + _list(claims.get("groups"))),
        )
        if not self._has_role(caller):
            return Refusal(
                403,
                "The access token grants no role on this server: ask for a scope such as "
                f"{self._least_scope}",
                "insufficient_scope",
                self._least_scope,
            )
        return caller

    def _for_us(self, claims: dict[str, Any]) -> bool:
        audience = claims.get("aud")
        if audience is not None:
            return bool(self._audiences & set(_list(audience)))
        # Cognito access tokens carry no aud: the app client they were issued to is client_id.
        return claims.get("client_id") in self._audiences


@dataclass(frozen=True, slots=True)
class OAuth:
    """What the HTTP app needs for ``AuthMode=OAUTH``: the token check and the metadata's facts."""

    tokens: BearerTokens
    authorization_server: str
    scopes: tuple[str, ...]
    # The MCP endpoint's URL, when set; else each request's own (API Gateway's stage included).
    resource: str | None = None


def metadata(oauth: OAuth, resource: str) -> dict[str, Any]:
    """The RFC 9728 protected-resource metadata of the endpoint at ``resource``."""
    return {
        "resource": resource,
        "authorization_servers": [oauth.authorization_server],
        "scopes_supported": list(oauth.scopes),
        "bearer_methods_supported": ["header"],
        "resource_name": "AWS MCP",
    }


def bearer_tokens(
    issuer: str,
    audiences: tuple[str, ...],
    jwks_url: str,
    *,
    has_role: Callable[[TokenCaller], bool],
    least_scope: str,
) -> BearerTokens:
    """Tokens of ``issuer`` checked against its JWKS at ``jwks_url`` (keys cached five minutes)."""
    import jwt

    jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=3)
    return BearerTokens(issuer, audiences, jwks, has_role=has_role, least_scope=least_scope)


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split() if " " in value else [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _short(err: Exception) -> str:
    return str(err)[:200] or type(err).__name__
