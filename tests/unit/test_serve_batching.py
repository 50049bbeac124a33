"""Micro-batching: concurrent requests share forward passes, each gets its own row, errors reach everyone."""

import asyncio
from pathlib import Path

import torch

from digits.model.checkpoint import load_checkpoint
from digits.prediction.predict import probabilities
from digits.serve.batching import MicroBatcher
from tests.serve_support import small_model


def run_concurrently(batcher: MicroBatcher, images: list[torch.Tensor]) -> list[torch.Tensor | BaseException]:
    async def main() -> list[torch.Tensor | BaseException]:
        batcher.start()
        try:
            return await asyncio.gather(*(batcher(image) for image in images), return_exceptions=True)
        finally:
            await batcher.stop()

    return asyncio.run(main())


def test_concurrent_requests_share_forward_passes_and_get_their_own_rows() -> None:
    sizes = []

    def classify(images: torch.Tensor) -> torch.Tensor:  # row i: the image's first pixel, 10 times
        sizes.append(len(images))
        return images[:, 0, 0, :1].repeat(1, 10)

    images = [torch.full((1, 28, 28), float(i)) for i in range(10)]
    results = run_concurrently(MicroBatcher(classify, max_batch=4), images)
    assert [float(r[0]) for r in results] == list(range(10))  # type: ignore[index]
    assert sizes == [4, 4, 2]  # all ten were queued before the first pass: taken up to max_batch at a time


def test_max_batch_1_is_one_pass_per_request() -> None:
    batcher = MicroBatcher(lambda images: images[:, 0, 0, :10], max_batch=1)
    run_concurrently(batcher, [torch.zeros(1, 28, 28)] * 5)
    assert (batcher.passes, batcher.images) == (5, 5)


def test_an_error_in_a_pass_reaches_every_request_in_it_and_the_next_pass_works() -> None:
    calls = []

    def classify(images: torch.Tensor) -> torch.Tensor:
        calls.append(len(images))
        if len(calls) == 1:
            raise RuntimeError("boom")
        return torch.zeros(len(images), 10)

    batcher = MicroBatcher(classify, max_batch=2)
    results = run_concurrently(batcher, [torch.zeros(1, 28, 28)] * 3)
    assert [type(r).__name__ for r in results] == ["RuntimeError", "RuntimeError", "Tensor"]


def test_a_batch_gives_the_same_probabilities_as_one_image_at_a_time(tmp_path: Path) -> None:
    model = load_checkpoint(small_model(tmp_path / "model.pt")).model
    images = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    together = probabilities(model, images)
    one_by_one = torch.cat([probabilities(model, image[None]) for image in images])
    assert together.shape == (16, 10)
    assert torch.allclose(together, one_by_one, atol=1e-6)
    assert len({tuple(row.tolist()) for row in together}) == 16  # the rows differ: a real comparison
