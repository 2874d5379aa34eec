"""SCIM errors that scim2-models has no class for, and the mapping of validation errors.

One error type crosses the layers: ``SCIMException``. The HTTP layer renders it.
"""

from typing import Any

from pydantic import ValidationError
from scim2_models import (
    InvalidFilterException,
    InvalidPathException,
    InvalidSyntaxException,
    InvalidValueException,
    InvalidVersionException,
    MutabilityException,
    NoTargetException,
    PayloadTooLargeException,
    SCIMException,
    SensitiveException,
    TooManyException,
    UniquenessException,
)

__all__ = [
    "BadRequestException",
    "InternalErrorException",
    "MethodNotAllowedException",
    "PayloadTooLargeException",
    "ServiceUnavailableException",
    "TooManyRequestsException",
    "UnsupportedMediaTypeException",
    "from_validation_error",
]


class MethodNotAllowedException(SCIMException):
    status = 405
    _default_detail = "Method not allowed on this endpoint"


class UnsupportedMediaTypeException(SCIMException):
    status = 415
    _default_detail = "Request bodies must be application/scim+json or application/json"


class BadRequestException(SCIMException):
    """400 with no scimType: the request is wrong outside its SCIM content (its Host)."""

    status = 400
    _default_detail = "Bad request"


class TooManyRequestsException(SCIMException):
    status = 429
    _default_detail = "Too many requests; retry after the time Retry-After gives"


class ServiceUnavailableException(SCIMException):
    status = 503
    _default_detail = "The service is temporarily unavailable; retry later"


class InternalErrorException(SCIMException):
    status = 500
    _default_detail = "Internal server error"


_BY_SCIM_TYPE: dict[str, type[SCIMException]] = {
    cls.scim_type: cls
    for cls in (
        InvalidFilterException,
        InvalidPathException,
        InvalidSyntaxException,
        InvalidValueException,
        InvalidVersionException,
        MutabilityException,
        NoTargetException,
        SensitiveException,
        TooManyException,
        UniquenessException,
    )
}


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
    message = str(error.get("msg", "invalid value"))
    return f"{location}: {message}" if location else message


def from_validation_error(exc: ValidationError) -> SCIMException:
    """Turn a pydantic/scim2-models ValidationError into the SCIM error it stands for.

    scim2-models raises its SCIM errors inside validators as ``scim_<scimType>`` error
    types; everything else about a value is ``invalidValue`` (RFC 7644 §3.12).
    """
    errors = exc.errors(include_url=False)
    first: dict[str, Any] = dict(errors[0]) if errors else {}
    kind = str(first.get("type", ""))
    scim_type = kind.removeprefix("scim_")
    detail = "; ".join(_describe(e) for e in errors[:5])
    if scim_type in _BY_SCIM_TYPE:
        return _BY_SCIM_TYPE[scim_type](detail=detail)
    if kind in ("json_invalid", "model_type", "dict_type") and not first.get("loc"):
        return InvalidSyntaxException(detail=detail)
    return InvalidValueException(detail=detail)
