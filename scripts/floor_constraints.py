"""Prints pip constraints that pin every runtime requirement to the lowest version it admits.

Reads a requirements file (``requirements.txt``) whose every line is ``name[extras]>=floor[,<cap]``
and writes ``name==floor`` for each, so that installing with ``-c`` tests exactly the floors the file
promises. A requirement without one ``>=`` floor, or an option line, is refused by name: a floor that
is not stated cannot be tested. Standard library only: it runs before any environment exists.

Usage: python3 scripts/floor_constraints.py requirements.txt > constraints.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<specifiers>.*)$")


class FloorError(ValueError):
    """A requirement whose lowest admitted version cannot be read."""


def floor_constraints(requirements: str) -> list[str]:
    """``name==floor`` for every requirement line, in file order; every problem at once."""
    pins: list[str] = []
    problems: list[str] = []
    for line in requirements.splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        match = _REQUIREMENT.match(requirement)
        if requirement.startswith("-") or match is None:
            problems.append(f"{requirement!r} is not a plain requirement")
            continue
        specifiers = [part.strip() for part in match["specifiers"].split(",") if part.strip()]
        floors = [spec.removeprefix(">=").strip() for spec in specifiers if spec.startswith(">=")]
        if len(floors) != 1 or not floors[0]:
            problems.append(f"{requirement!r} has no single '>=' floor")
            continue
        pins.append(f"{match['name']}=={floors[0]}")
    if problems:
        raise FloorError("; ".join(problems))
    return pins


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: floor_constraints.py REQUIREMENTS_FILE", file=sys.stderr)
        return 2
    try:
        pins = floor_constraints(Path(arguments[0]).read_text(encoding="utf-8"))
    except (OSError, FloorError) as error:
        print(f"floor_constraints.py: {error}", file=sys.stderr)
        return 1
    print("\n".join(pins))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
