"""The exit statuses of both commands, and the ``--help`` text that lists them.

This module imports nothing heavy: ``python -m verification`` needs it before boto3 is loaded.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_COULD_NOT_CHECK = 2
# 128 + SIGINT, as shells report a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130
# 128 + SIGPIPE, as shells report a command whose reader went away (``... | head``).
EXIT_CLOSED_PIPE = 141


def exit_statuses(broken: str, incomplete: str = "") -> str:
    """The ``--help`` epilog listing every exit status; ``broken`` says what status 1 means,
    ``incomplete`` what else status 2 means."""
    return (
        "exit status:\n"
        f"  {EXIT_OK:<4} all is well\n"
        f"  {EXIT_BROKEN:<4} {broken}\n"
        f"  {EXIT_COULD_NOT_CHECK:<4} could not check: unusable outputs or arguments, no or wrong "
        f"credentials,\n       an unreachable endpoint, a failed AWS call{incomplete}\n"
        f"  {EXIT_INTERRUPTED:<4} interrupted (Ctrl-C)\n"
        f"  {EXIT_CLOSED_PIPE:<4} the reader of the output went away (a closed pipe)"
    )
