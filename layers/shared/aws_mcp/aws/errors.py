"""botocore's exceptions as the server's: what the agent is told, and what counts against a breaker.

* AccessDenied-like codes → :class:`AccessDeniedError` (a retry will not help);
* throttling and 5xx → :class:`AwsUnavailableError` (transient; counts against the breaker);
* a read timeout or a dropped connection after the request went out → for a change,
  :class:`OutcomeUnknownError` (it may have happened); for a read, ask for less;
* not reaching the endpoint at all → :class:`AwsUnavailableError`, nothing was sent;
* no credentials or region → :class:`AwsCallError` saying how to configure the server;
* botocore's parameter validation → :class:`ToolInputError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ReadTimeoutError,
)

from aws_mcp.errors import (
    AccessDeniedError,
    AwsCallError,
    AwsUnavailableError,
    OutcomeUnknownError,
    ToolInputError,
)

__all__ = ["THROTTLING", "translated"]


@contextmanager
def translated(
    tool: str, service: str, region: str, *, mutating: bool, read_timeout: float
) -> Iterator[None]:
    """Run the body with botocore's exceptions raised as the server's (see the module docstring)."""
    try:
        yield
    except ClientError as err:
        error = err.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", err))
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _ACCESS_DENIED:
            raise AccessDeniedError(
                f"AWS {service} denied {tool}: {code}: {message}. The server's role lacks this "
                "permission for these resources; a retry will not help."
            ) from None
        if status >= 500 or code in THROTTLING:
            raise AwsUnavailableError(
                f"AWS {service} could not serve {tool}: {code}: {message}. This is transient: "
                "try again shortly.",
                service=service,
                code=code,
            ) from None
        raise AwsCallError(
            f"AWS {service} refused {tool}: {code}: {message}.", service=service, code=code
        ) from None
    except (ReadTimeoutError, ConnectionClosedError) as err:
        # The request went out: a change may have happened although no answer came.
        said = f"AWS {service} in {region} did not answer {tool} ({type(err).__name__}"
        if mutating:
            raise OutcomeUnknownError(
                f"{said}), so whether the change happened is unknown. Check the resource's state with a "
                "read-only tool before calling again; a retry with the same idempotency_key is not sent "
                "again.",
                service=service,
                code=type(err).__name__,
            ) from None
        raise AwsUnavailableError(
            f"{said} within {read_timeout:g} s). Ask for less in one call: a narrower filter or a smaller "
            "max_results.",
            service=service,
            code=type(err).__name__,
        ) from None
    except (ConnectTimeoutError, EndpointConnectionError, ConnectionError) as err:
        raise AwsUnavailableError(
            f"Could not reach AWS {service} in {region} for {tool} ({type(err).__name__}); nothing "
            "was sent. Try again shortly; if it persists, the server's network or endpoint is at fault.",
            service=service,
            code=type(err).__name__,
        ) from None
    except (NoCredentialsError, NoRegionError) as err:
        raise AwsCallError(
            f"The server has no usable AWS configuration: {err}. Whoever runs it must give it credentials "
            "(AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and restart "
            "it; a retry will not help.",
            service=service,
            code=type(err).__name__,
        ) from None
    except ParamValidationError as err:
        raise ToolInputError(f"Invalid arguments for {tool}: {err}") from None
    except BotoCoreError as err:
        raise AwsCallError(
            f"AWS {service} call failed for {tool}: {err}", service=service, code=type(err).__name__
        ) from None


_ACCESS_DENIED: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
THROTTLING: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
