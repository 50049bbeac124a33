"""Micro-batching: the images of concurrent requests go through the model in one forward pass.

Requests queue their (1, 28, 28) input; one worker takes everything queued (up to `max_batch`),
runs it through the model on a thread of its own and hands each request its row. Nobody waits
for a batch to fill: while one forward pass runs, the next batch gathers, so a lone request goes
through at once and a busy server makes few large passes instead of many small ones.
`max_batch=1` turns it off: one forward pass per request, the same queue and thread.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import torch

Classifier = Callable[[torch.Tensor], torch.Tensor]  # (n, 1, 28, 28) -> (n, 10): the app gives calibrated logits
Waiting = tuple[torch.Tensor, asyncio.Future[torch.Tensor]]


class MicroBatcher:
    def __init__(self, classify: Classifier, max_batch: int) -> None:
        assert max_batch >= 1
        self.classify, self.max_batch = classify, max_batch
        self.queue: asyncio.Queue[Waiting] = asyncio.Queue()
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="model")  # torch runs here, off the event loop
        self.worker: asyncio.Task[None] | None = None
        self.passes, self.images = 0, 0  # forward passes and images through them, since start

    def start(self) -> None:
        self.worker = asyncio.create_task(self.run())

    async def stop(self) -> None:
        if self.worker:
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)
        self.thread.shutdown(wait=True)

    async def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """(1, 28, 28) model input -> (10,): its row of the classifier's answer."""
        assert self.worker is not None, "start() the batcher first (the app's lifespan does)"
        done: asyncio.Future[torch.Tensor] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((image, done))
        return await done

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            self.passes, self.images = self.passes + 1, self.images + len(batch)
            try:
                probs = await loop.run_in_executor(self.thread, self.classify, torch.stack([i for i, _ in batch]))
            except Exception as err:  # a bug in the model code: every waiting request gets it, not just one
                for _, done in batch:
                    if not done.done():
                        done.set_exception(err)
                continue
            for (_, done), row in zip(batch, probs, strict=True):
                if not done.done():  # the client may have gone away (cancelled)
                    done.set_result(row)
