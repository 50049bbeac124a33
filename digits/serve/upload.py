"""The image in a POST /predict or /collect request: the multipart form field `file`, or the raw body.

Only the bytes are taken: no endpoint reads a path, a URL or a file name from the request.
"""

from collections.abc import Awaitable
from typing import TypeVar

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from digits.serve.errors import ApiError

FORM_FIELD = "file"
RAW_TYPES = "image/png, image/jpeg, image/bmp, image/gif, image/webp, image/tiff, ..."  # any image/*
MULTIPART = "multipart/form-data"
FILE_SCHEMA = {"type": "string", "format": "binary"}

# How the endpoint's request body appears in the OpenAPI schema (and so in /docs).
OPENAPI_BODY = {
    "required": True,
    "content": {
        MULTIPART: {"schema": {"type": "object", "properties": {FORM_FIELD: FILE_SCHEMA}, "required": [FORM_FIELD]}},
        "image/*": {"schema": FILE_SCHEMA},
    },
}

T = TypeVar("T")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_form(request: Request, field: str | None = None) -> tuple[bytes, str | UploadFile | None]:
    """The bytes of the form field `file` and the value of `field` (None when absent or not asked for);
    a form without a file in `file`, or with a plain text value there, is a 400."""
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get(FORM_FIELD)
        if not isinstance(upload, UploadFile):
            raise ApiError(400, f"the multipart form has no file in a field named '{FORM_FIELD}'")
        return await upload.read(), form.get(field) if field else None


async def received(reading: Awaitable[T]) -> T:
    """Await a read of the body; a client that leaves halfway is a 400."""
    try:
        return await reading
    except ClientDisconnect:
        raise ApiError(400, "the client closed the connection before sending the whole body") from None


def not_empty(data: bytes) -> bytes:
    if not data:
        raise ApiError(400, "empty image: the upload has no bytes")
    return data


async def image_bytes(request: Request) -> bytes:
    """The uploaded image's bytes, whatever the body form; refusals are ApiErrors (4xx)."""
    kind = media_type(request)
    if kind == MULTIPART:
        data, _ = await received(read_form(request))
    elif kind.startswith("image/"):
        data = await received(request.body())
    else:
        raise ApiError(
            415,
            f"unsupported content type '{kind or 'none'}': send the image as the body with an image type "
            f"({RAW_TYPES}) or as the field '{FORM_FIELD}' of a {MULTIPART} form",
        )
    return not_empty(data)
