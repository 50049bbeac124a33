"""POST /collect (`digits serve --collect DIR`): a picture and the digit it shows, stored for retraining.

The picture is decoded as POST /predict decodes it and stored as the 28x28 view the model sees
(digits/data/collection.py), never as the bytes received: 201 with {"path": "7/<sha256>.png", "created": true},
or 200 with "created": false when the same picture is already stored under that digit.
"""

import re
from collections.abc import Awaitable, Callable

import numpy as np
from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from digits.data.collection import Collection, CollectionError
from digits.serve.errors import ApiError
from digits.serve.upload import FILE_SCHEMA, FORM_FIELD, MULTIPART, media_type, not_empty, read_form, received

LABEL_FIELD = "label"
OFF = "collection is off: start the server with --collect DIR"
OPENAPI_BODY = {
    "required": True,
    "content": {
        MULTIPART: {
            "schema": {
                "type": "object",
                "properties": {
                    FORM_FIELD: FILE_SCHEMA,
                    LABEL_FIELD: {"type": "integer", "minimum": 0, "maximum": 9, "description": "the digit shown"},
                },
                "required": [FORM_FIELD, LABEL_FIELD],
            }
        }
    },
}


class Collected(BaseModel):
    path: str  # relative to the collection's folder: "<label>/<sha256 of the stored PNG>.png"
    created: bool  # False: the same picture was already stored under this label


def parse_label(value: str | UploadFile | None) -> int:
    """The form's `label`: one digit 0-9 (surrounding spaces allowed)."""
    if value is None:
        raise ApiError(
            400, f"the multipart form has no field '{LABEL_FIELD}': the digit (0-9) the picture shows", "no_label"
        )
    assert isinstance(value, str), value  # a form holds one file at most (read_form), and `file` has it
    if not re.fullmatch(r"[0-9]", value.strip()):
        shown = value if len(value) <= 20 else value[:20] + "..."
        raise ApiError(
            422, f"{LABEL_FIELD} must be a digit 0-9, not {shown!r}", "bad_label"
        )  # repr: one line, whatever it is
    return int(value)


async def picture_and_label(request: Request) -> tuple[bytes, int]:
    if media_type(request) != MULTIPART:
        kind = media_type(request) or "none"
        raise ApiError(
            415, f"unsupported content type '{kind}': send a {MULTIPART} form with '{FORM_FIELD}' and '{LABEL_FIELD}'"
        )
    data, value = await received(read_form(request, LABEL_FIELD))
    label = parse_label(value)  # before decoding: the cheap check first
    return not_empty(data), label


def install_collect(
    app: FastAPI, collection: Collection | None, model_view: Callable[[bytes], Awaitable[np.ndarray]]
) -> None:
    """Add POST /collect; `model_view` decodes an upload as /predict does (ApiError 4xx when it cannot)."""
    writers = CapacityLimiter(1)  # Collection.store takes a lock anyway: no threads queue up on it

    @app.post(
        "/collect",
        status_code=201,
        response_model=Collected,
        responses={200: {"model": Collected, "description": "Already stored under this label"}},
        openapi_extra={"requestBody": OPENAPI_BODY},
    )
    async def collect(request: Request) -> JSONResponse:
        """Store a picture under the digit it shows: the form fields `file` and `label` (0-9).
        403 without --collect; 409 for a picture stored under another digit or a full collection."""
        if collection is None:
            raise ApiError(403, OFF, "collect_off")
        data, label = await picture_and_label(request)
        pixels = await model_view(data)
        try:
            stored = await to_thread.run_sync(collection.store, pixels, label, limiter=writers)
        except CollectionError as err:
            raise ApiError(err.status, str(err), err.reason) from None
        answer = {"path": stored.path, "created": stored.created}
        return JSONResponse(answer, status_code=201 if stored.created else 200)
