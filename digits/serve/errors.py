"""Every error the API returns is a 4xx (or a 500 for a bug) with the JSON body {"error": "one line"}; each
refusal is counted in /metrics by its reason (digits_refused_total)."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from digits.serve.metrics import refused

# A refusal's reason in /metrics when the code raising it does not name one
REASONS = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    422: "bad_image",
    507: "storage_failed",
}


class ApiError(Exception):
    """A request the server refuses; `message` is one line for the client."""

    def __init__(self, status: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.reason = reason or REASONS.get(status, str(status))


def error_response(status: int, message: str, reason: str | None = None) -> JSONResponse:
    """The answer to a refused request, counted under `reason` (by default, the status's)."""
    refused(reason or REASONS.get(status, str(status)))
    return JSONResponse({"error": message}, status_code=status)


async def api_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, ApiError)
    return error_response(err.status, err.message, err.reason)


async def http_error(request: Request, err: Exception) -> JSONResponse:
    """Starlette's own errors: unknown path (404), wrong method (405)."""
    assert isinstance(err, HTTPException)
    message = f"{err.detail.lower()}: {request.method} {request.url.path}"
    refused(REASONS.get(err.status_code, str(err.status_code)))
    return JSONResponse({"error": message}, status_code=err.status_code, headers=err.headers)


async def validation_error(request: Request, err: Exception) -> JSONResponse:
    """A bad query parameter, e.g. ?with_image=maybe: the first problem, on one line."""
    assert isinstance(err, RequestValidationError)
    first = err.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return error_response(422, f"{where}: {first.get('msg', 'invalid')}", "bad_parameter")


async def internal_error(request: Request, err: Exception) -> JSONResponse:
    """A bug: the client gets one line, the traceback goes to the server's log (by uvicorn), not the response.
    Not a refusal: digits_requests_total counts it under status 500."""
    return JSONResponse({"error": "internal server error (the server's log has the details)"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)
