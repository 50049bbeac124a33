"""The FastAPI app: POST /predict, POST /collect, GET /health, GET /model, the drawing page at / and the API
docs at /docs."""

import base64
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from PIL import Image
from pydantic import BaseModel

from digits.checkpoint import Checkpoint
from digits.collection import Collection
from digits.imageprep import BadImageError, model_view, to_model_input
from digits.predict import probabilities
from digits.serve.batching import MicroBatcher
from digits.serve.collect import install_collect
from digits.serve.errors import ApiError, install_error_handlers
from digits.serve.limits import BodyLimit
from digits.serve.logs import RequestLog
from digits.serve.settings import Settings
from digits.serve.upload import OPENAPI_BODY, image_bytes

PAGE = Path(__file__).parent / "page"
SCRIPT = "text/javascript"
PAGE_ASSETS = {"style.css": "text/css", "collect.js": SCRIPT, "app.js": SCRIPT}  # served from memory, by name only
DECODE_THREADS = 2  # images decoded at once: bounds the memory of a burst of large uploads


class Prediction(BaseModel):
    digit: int
    probability: float
    probabilities: list[float]  # for the digits 0..9
    image: str | None = None  # with ?with_image=true: the 28x28 input the model saw, as a PNG data URL


class Health(BaseModel):
    status: str
    forward_passes: int
    images: int
    collect: bool  # whether POST /collect stores pictures (digits serve --collect DIR): the page shows its buttons


def png_data_url(pixels: np.ndarray) -> str:
    """(28, 28) uint8 -> 'data:image/png;base64,...' (about 0.5 kB), for the page to show."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def create_app(checkpoint: Checkpoint, info: dict[str, Any], settings: Settings | None = None) -> FastAPI:
    """`info` is what GET /model answers: the model file's description and its MD5. With settings.collect_dir,
    the collection's folder is made (and swept) now: a PipelineError if it cannot be."""
    settings = settings or Settings()
    collection = Collection(settings.collect_dir, settings.collect_max) if settings.collect_dir else None
    batcher = MicroBatcher(lambda images: probabilities(checkpoint.model, images), settings.max_batch)
    decoders = CapacityLimiter(DECODE_THREADS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        batcher.start()
        yield
        await batcher.stop()

    app = FastAPIOffline(
        title="digits",
        summary="Read a handwritten digit",
        redoc_url=None,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},  # RequestLog's line is ours
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestLog)  # added last: outermost
    install_error_handlers(app)
    index = (PAGE / "index.html").read_text(encoding="utf-8")
    assets = {name: (PAGE / name).read_bytes() for name in PAGE_ASSETS}

    def prepare(data: bytes) -> tuple[np.ndarray, torch.Tensor]:
        pixels = model_view(data, settings.max_pixels)  # the same conversion as `digits predict`
        return pixels, to_model_input(pixels, checkpoint.norm)

    async def decode(data: bytes) -> np.ndarray:
        """An upload -> (28, 28) uint8, in the decode threads (POST /collect)."""
        try:
            return await to_thread.run_sync(model_view, data, settings.max_pixels, limiter=decoders)
        except BadImageError as err:
            raise ApiError(422, str(err)) from None

    @app.post("/predict", openapi_extra={"requestBody": OPENAPI_BODY}, response_model=Prediction)
    async def predict(request: Request, with_image: bool = False) -> JSONResponse:
        """Classify one image: the body itself (Content-Type image/...), or the form field `file`."""
        data = await image_bytes(request)
        try:
            pixels, image = await to_thread.run_sync(prepare, data, limiter=decoders)
        except BadImageError as err:
            raise ApiError(422, str(err)) from None
        probs = await batcher(image)  # (10,)
        answer = {"digit": int(probs.argmax()), "probability": float(probs.max()), "probabilities": probs.tolist()}
        if with_image:
            answer["image"] = png_data_url(pixels)
        return JSONResponse(answer)  # built directly: validating our own dict again costs time under load

    install_collect(app, collection, decode)

    @app.get("/health")
    async def health() -> Health:
        """200 while the model is loaded and answering; counts forward passes and the images in them."""
        return Health(status="ok", forward_passes=batcher.passes, images=batcher.images, collect=collection is not None)

    @app.get("/model")
    async def model() -> dict[str, Any]:
        """What `digits inspect` prints about the model file, plus its MD5 (as in dvc.lock)."""
        return info

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(index)

    @app.get("/page/{name}", include_in_schema=False)
    async def page_asset(name: str) -> Response:
        if name not in assets:  # a name to look up, never a path to open
            raise ApiError(404, f"not found: GET /page/{name}")
        return Response(assets[name], media_type=PAGE_ASSETS[name])

    return app
