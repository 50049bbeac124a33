"""How a failing torchrun worker reports, and how the launcher tells the cause from its echoes.

When one process fails, the others fail too: a peer that dies breaks their next all-reduce
("Connection reset by peer") and torchrun then stops them with SIGTERM. Each worker records its
failure in torchrun's error file (TORCHELASTIC_ERROR_FILE) instead of printing it, and the launcher
prints the root cause once: a user error as its one line, a signal as one line, an unexpected
exception with its traceback.
"""

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from digits.core.errors import EXIT_USER_ERROR, PipelineError, run_main


def record_failure(path: str, message: str, callstack: str | None = None) -> None:
    """Write torchrun's error-file format: a plain message for a user error, else its traceback too."""
    now = time.time()  # torchrun keeps whole seconds; `time` orders failures within a second
    if callstack is None:
        record: dict[str, Any] = {"message": message, "timestamp": int(now)}
    else:
        record = {"message": {"message": message, "extraInfo": {"py_callstack": callstack, "timestamp": str(int(now))}}}
    Path(path).write_text(json.dumps({**record, "time": now}))


def run_worker(main: Callable[[], None], prog: str) -> None:
    """run_main for a stage that torchrun may start several times (without torchrun: run_main)."""
    error_file = os.environ.get("TORCHELASTIC_ERROR_FILE")
    if not error_file:
        run_main(main, prog)
        return
    try:
        main()
    except PipelineError as err:  # every process on a machine would print the same line
        record_failure(error_file, str(err))
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:  # torchrun passes Ctrl-C on to its workers; the launcher says so once
        sys.exit(130)
    except Exception as err:  # recorded, not hidden: the launcher prints it when it is the root cause
        record_failure(error_file, f"{type(err).__name__}: {err}", traceback.format_exc())
        sys.exit(EXIT_USER_ERROR)


def recorded(process: ProcessFailure) -> dict[str, Any]:
    """What the process wrote with record_failure ({} if it died without writing)."""
    return process.error_file_data if os.path.isfile(process.error_file) else {}


def blame(failure: tuple[int, ProcessFailure]) -> tuple[int, float, int]:
    """Sort key for the root cause: a user error, then a signal other than the SIGTERM torchrun sends
    to stop the others, then a recorded exception, then the rest; earlier and lower ranks first."""
    rank, process = failure
    data = recorded(process)
    if isinstance(data.get("message"), str):
        order = 0
    elif process.exitcode < 0 and process.signal_name() != "SIGTERM":
        order = 1
    else:
        order = 2 if data else 3
    return order, data.get("time", process.timestamp), rank


def describe(err: ChildFailedError) -> str:
    """One line for the root cause of a failed torchrun job (an exception's traceback goes to stderr first)."""
    rank, process = min(err.failures.items(), key=blame)
    data, who = recorded(process), f"rank {rank} (pid {process.pid})"
    if isinstance(data.get("message"), str):
        return data["message"]  # the stage's own one-line error
    if process.exitcode < 0:
        return f"{who} was killed by {process.signal_name()}; the other processes were stopped"
    if data:
        print(data["message"]["extraInfo"]["py_callstack"], file=sys.stderr, end="")
        return f"{who} failed: {data['message']['message'].strip().splitlines()[0]}"
    return f"{who} exited with code {process.exitcode}; the other processes were stopped"
