"""``python -m verification``: Ctrl-C at any moment, while boto3 loads included, ends with one line."""

import os
import sys

from verification.exit_status import EXIT_CLOSED_PIPE, EXIT_INTERRUPTED


def run() -> int:
    try:
        # Imported here, so that an interrupt while boto3 loads is handled like any other.
        from verification.cli import main

        try:
            return main()
        finally:
            # Inside the handlers: a reader that went away shows when the buffered output is flushed.
            sys.stdout.flush()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python's documented way out: point stdout at devnull, so that flushing it at exit cannot fail
        # again (library reference, signal module, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CLOSED_PIPE


raise SystemExit(run())
