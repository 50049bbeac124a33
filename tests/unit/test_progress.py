"""The training heartbeat: a line every `every` seconds when enabled, none when not."""

import pytest

from digits.training import progress


def test_a_line_once_every_interval(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clock = iter([0.0, 10.0, 31.0, 40.0, 62.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    beat = progress.Heartbeat("epoch 2/9", 429, enabled=True)  # start: t = 0
    for done in (100, 200, 300, 400):  # at t = 10, 31, 40, 62
        beat.tick(done)
    assert capsys.readouterr().out.splitlines() == [
        "train: epoch 2/9: step 200/429 (31 s)",
        "train: epoch 2/9: step 400/429 (62 s)",
    ]


def test_silent_on_a_terminal_or_another_rank(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress.sys.stdout, "isatty", lambda: True, raising=False)
    assert not progress.heartbeat("epoch 1/1", 10, writer=True).enabled
    monkeypatch.setattr(progress.sys.stdout, "isatty", lambda: False, raising=False)
    assert progress.heartbeat("epoch 1/1", 10, writer=True).enabled
    assert not progress.heartbeat("epoch 1/1", 10, writer=False).enabled
    beat = progress.Heartbeat("e", 10, enabled=False, every=0.0)
    beat.tick(5)
    assert capsys.readouterr().out == ""
