"""The errors the proxy makes itself, each rendered in Moda's own error envelope.

ProxyError                    status, type, code, message, details
├── ClientRequestError        400 invalid_request: the client's request cannot be served
│   ├── UnsupportedVersion    400 unsupported_version (details: requested, supported)
│   ├── RequestTooLarge       413 request_too_large
│   ├── HeadersTooLarge       431 request_header_fields_too_large
│   ├── ClientTooSlow         408 request_timeout: a body that did not arrive in time
│   ├── ForbiddenTarget       405 method_not_allowed: CONNECT, or a non-path target
│   └── SignatureRefused      401 invalid_signature: a webhook not signed freshly by Moda
├── CallbackRefused           422 validation_failed: a callback_url Moda would refuse
├── RelayNotFound             404 not_found: a relay token the proxy did not seal
├── ClientNotFound            404 client_not_found: the migration report holds no such client
├── ReportUnavailable         503 state_unavailable: the report's shared state does not answer
├── DeliveryInProgress        409 delivery_in_progress: the same event is being delivered
├── SigningSecretMissing      503 signing_secret_missing: no secret for that API key
└── UpstreamError             upstream_error: no usable answer from an upstream
    ├── UpstreamUnavailable   502: refused, reset, or cut the body short
    ├── UpstreamTimeout       504: slower than the configured timeout
    ├── UpstreamContractError 502: a body that is not the JSON a translation relies on
    │   └── TranslationError  502: a named change could not rewrite it
    └── DeliveryFailed        502: a client's webhook endpoint refused or did not answer
"""

from typing import Any, ClassVar


class ProxyError(Exception):
    status: ClassVar[int] = 500
    type_: ClassVar[str] = "internal_error"
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ClientRequestError(ProxyError):
    status = 400
    type_ = "invalid_request"
    code = "invalid_request"


class UnsupportedVersion(ClientRequestError):
    code = "unsupported_version"

    def __init__(self, requested: str, supported: tuple[str, ...]) -> None:
        listed = ", ".join(supported)
        super().__init__(
            f"Moda-Version '{requested}' is not supported. Supported versions: {listed}.",
            details={"requested": requested, "supported": list(supported)},
        )


class RequestTooLarge(ClientRequestError):
    status = 413
    code = "request_too_large"


class HeadersTooLarge(ClientRequestError):
    status = 431
    code = "request_header_fields_too_large"


class ClientTooSlow(ClientRequestError):
    status = 408
    code = "request_timeout"


class ForbiddenTarget(ClientRequestError):
    status = 405
    code = "method_not_allowed"


class UpstreamError(ProxyError):
    status = 502
    type_ = "upstream_error"
    code = "upstream_error"


class UpstreamUnavailable(UpstreamError):
    code = "upstream_unavailable"


class UpstreamTimeout(UpstreamError):
    status = 504
    code = "upstream_timeout"


class UpstreamContractError(UpstreamError):
    code = "upstream_invalid_response"


class TranslationError(UpstreamContractError):
    """A change could not rewrite an upstream body: it lacked a field or had the wrong type."""

    def __init__(self, change: str, cause: BaseException) -> None:
        super().__init__(
            "The upstream answered with a body this proxy cannot translate.",
            details={"change": change},
        )
        self.change = change
        self.cause = cause


class SignatureRefused(ClientRequestError):
    status = 401
    type_ = "authentication"
    code = "invalid_signature"


class CallbackRefused(ProxyError):
    status = 422
    type_ = "unprocessable"
    code = "validation_failed"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"callback_url {reason}.",
            details={"fields": [{"field": "body.callback_url", "code": "invalid_url"}]},
        )


class RelayNotFound(ProxyError):
    status = 404
    type_ = "not_found"
    code = "not_found"


class ClientNotFound(ProxyError):
    status = 404
    type_ = "not_found"
    code = "client_not_found"


class ReportUnavailable(ProxyError):
    status = 503
    type_ = "upstream_error"
    code = "state_unavailable"


class DeliveryInProgress(ProxyError):
    status = 409
    type_ = "conflict"
    code = "delivery_in_progress"


class SigningSecretMissing(ProxyError):
    status = 503
    type_ = "upstream_error"
    code = "signing_secret_missing"


class DeliveryFailed(UpstreamError):
    code = "webhook_delivery_failed"
