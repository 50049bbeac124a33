"""The image in a POST /predict request: the multipart form field `file`, or the raw body.

Only the bytes are taken: no endpoint reads a path, a URL or a file name from the request.
"""

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from digits.serve.errors import ApiError

FORM_FIELD = "file"
RAW_TYPES = "image/png, image/jpeg, image/bmp, image/gif, image/webp, image/tiff, ..."  # any image/*

# How the endpoint's request body appears in the OpenAPI schema (and so in /docs).
OPENAPI_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {FORM_FIELD: {"type": "string", "format": "binary"}},
                "required": [FORM_FIELD],
            }
        },
        "image/*": {"schema": {"type": "string", "format": "binary"}},
    },
}


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def form_file(request: Request) -> bytes:
    """The bytes of the form field `file`; a form without it, or with a plain text value there, is a 400."""
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get(FORM_FIELD)
        if not isinstance(upload, UploadFile):
            raise ApiError(400, f"the multipart form has no file in a field named '{FORM_FIELD}'")
        return await upload.read()


async def image_bytes(request: Request) -> bytes:
    """The uploaded image's bytes, whatever the body form; refusals are ApiErrors (4xx)."""
    kind = media_type(request)
    try:
        if kind == "multipart/form-data":
            data = await form_file(request)
        elif kind.startswith("image/"):
            data = await request.body()
        else:
            raise ApiError(
                415,
                f"unsupported content type '{kind or 'none'}': send the image as the body with an image type "
                f"({RAW_TYPES}) or as the field '{FORM_FIELD}' of a multipart/form-data form",
            )
    except ClientDisconnect:
        raise ApiError(400, "the client closed the connection before sending the whole body") from None
    if not data:
        raise ApiError(400, "empty image: the upload has no bytes")
    return data
