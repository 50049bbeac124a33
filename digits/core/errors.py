"""The one error type users see: a problem they can fix, printed as a single line."""

import os
import sys
from collections.abc import Callable


class PipelineError(Exception):
    """Bad params, bad or missing input files, unreachable mirrors.

    The message names the file or key and says what is wrong. Entry points print it
    without a traceback and exit non-zero; anything else is a bug and keeps its traceback.
    """


EXIT_USER_ERROR = 1


def run_main(main: Callable[[], None], prog: str) -> None:
    """Run an entry point, turning a PipelineError into `prog: error: ...` and exit 1."""
    try:
        main()
    except PipelineError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # e.g. `digits predict folder | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        sys.exit(EXIT_USER_ERROR)
