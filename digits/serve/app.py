"""The FastAPI app: POST /predict, POST /collect, GET /health, GET /model, GET /metrics, the drawing page at /
and the API docs at /docs."""

import base64
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from PIL import Image
from pydantic import BaseModel

from digits.data.collection import Collection
from digits.data.imageprep import model_view, to_model_input
from digits.model.checkpoint import Checkpoint
from digits.model.confidence import decide
from digits.prediction.predict import calibrated_logits
from digits.serve.batching import MicroBatcher
from digits.serve.collect import install_collect
from digits.serve.decoding import Decoder
from digits.serve.drain import Drain
from digits.serve.errors import ApiError, install_error_handlers
from digits.serve.limits import BodyLimit
from digits.serve.logs import RequestLog
from digits.serve.metrics import BATCH_IMAGES, MODEL, answered, count_answers_from_zero, install_metrics
from digits.serve.settings import Settings
from digits.serve.upload import OPENAPI_BODY, image_bytes

PAGE = Path(__file__).parent / "page"
SCRIPT = "text/javascript"
PAGE_ASSETS = {"style.css": "text/css", "collect.js": SCRIPT, "app.js": SCRIPT}  # served from memory, by name only


class Prediction(BaseModel):
    digit: int  # the likeliest digit, whatever the decision
    probability: float
    probabilities: list[float]  # for the digits 0..9
    decision: Literal["digit", "unsure", "not_a_digit"]  # confidence.DECISIONS, from the checkpoint's thresholds
    image: str | None = None  # with ?with_image=true: the 28x28 input the model saw, as a PNG data URL


class Health(BaseModel):
    status: str  # "ok"; "draining" (with status 503) once the server is told to stop (SIGTERM)
    worker: int  # the process id of the worker that answered (digits serve --workers N)
    forward_passes: int
    images: int
    collect: bool  # whether POST /collect stores pictures (digits serve --collect DIR): the page shows its buttons


def png_data_url(pixels: np.ndarray) -> str:
    """(28, 28) uint8 -> 'data:image/png;base64,...' (about 0.5 kB), for the page to show."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def create_app(
    checkpoint: Checkpoint, info: dict[str, Any], settings: Settings | None = None, drain: Drain | None = None
) -> FastAPI:
    """`info` is what GET /model answers: the model file's description and its MD5. With settings.collect_dir,
    the collection's folder is made (and swept) now: a PipelineError if it cannot be. `drain` says when the
    server is shutting down (/health answers 503 then)."""
    settings, drain = settings or Settings(), drain or Drain()
    collection = Collection(settings.collect_dir, settings.collect_max) if settings.collect_dir else None
    decoder = Decoder()

    def classify(images: torch.Tensor) -> torch.Tensor:
        """(n, 1, 28, 28) -> (n, 10) calibrated logits: the decision needs them, not only the probabilities."""
        BATCH_IMAGES.observe(len(images))
        return calibrated_logits(checkpoint.model, images)

    batcher = MicroBatcher(classify, settings.max_batch)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # in each worker, after the fork: prometheus-client starts a forked process's values afresh
        MODEL.labels(info.get("md5", ""), checkpoint.architecture).set(1)
        count_answers_from_zero()
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

    def view(data: bytes) -> np.ndarray:
        return model_view(data, settings.max_pixels)

    async def decode(data: bytes) -> np.ndarray:
        """An upload -> (28, 28) uint8 (POST /collect); ApiError 422 when it cannot be read."""
        return await decoder(view, data)

    @app.post("/predict", openapi_extra={"requestBody": OPENAPI_BODY}, response_model=Prediction)
    async def predict(request: Request, with_image: bool = False) -> JSONResponse:
        """Classify one image: the body itself (Content-Type image/...), or the form field `file`."""
        pixels, image = await decoder(prepare, await image_bytes(request))
        logits = await batcher(image)  # (10,)
        probs, [decision] = logits.softmax(0), decide(logits[None], checkpoint.calibration)
        answered(decision)
        answer = {
            "digit": int(probs.argmax()),
            "probability": float(probs.max()),
            "probabilities": probs.tolist(),
            "decision": decision,
        }
        if with_image:
            answer["image"] = png_data_url(pixels)
        return JSONResponse(answer)  # built directly: validating our own dict again costs time under load

    install_collect(app, collection, decode)
    install_metrics(app)

    @app.get("/health", response_model=Health, responses={503: {"model": Health, "description": "Draining"}})
    async def health() -> JSONResponse:
        """200 while the model is loaded and answering, 503 once the server is shutting down (SIGTERM);
        counts this worker's forward passes and the images in them."""
        answer = Health(
            status="draining" if drain.draining else "ok",
            worker=os.getpid(),
            forward_passes=batcher.passes,
            images=batcher.images,
            collect=collection is not None,
        )
        return JSONResponse(answer.model_dump(), status_code=503 if drain.draining else 200)

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
