"""Writes the policy pack's configuration from a stack's settings, so one stack file drives both the
Config rules and the preventive policies.

    python -m policy.configure --stack prod --output policy-config.json [--mandatory encryption,backup]
    pulumi preview --policy-pack ./policy --policy-pack-config policy-config.json

The stack file is read and validated by the stack's own settings parser (components.settings); every
policy gets every rule setting (policy.preventive.config.SETTINGS), the stack's exceptions and an
enforcement level.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from evaluators.exceptions import to_document

from components.catalog import CHECKS
from components.settings import NAMESPACE, Settings, SettingsError, parse_settings
from policy.preventive.config import ENFORCEMENT_LEVEL, EXCEPTIONS, SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("advisory", "mandatory", "disabled")


def stack_settings(stack_file: Path) -> Settings:
    """The settings of a stack file, read as the Pulumi engine hands them to the program."""
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    config = document.get("config") or {}
    prefix = f"{NAMESPACE}:"
    raw = {
        key[len(prefix) :]: value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if key.startswith(prefix)
    }
    return parse_settings(raw)


def pack_config(settings: Settings, mandatory: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Every policy's configuration: the stack's rule settings, and its enforcement level."""
    values = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in ((key, getattr(settings, name)) for key, name in SETTINGS.items())
    }
    values[EXCEPTIONS] = to_document(settings.exceptions)
    return {
        check.name: {ENFORCEMENT_LEVEL: "mandatory" if check.name in mandatory else "advisory", **values}
        for check in CHECKS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policy.configure", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--output", help="file to write (default: standard output)")
    parser.add_argument(
        "--mandatory",
        default="",
        help=f"comma-separated policies to enforce as mandatory ({', '.join(c.name for c in CHECKS)})",
    )
    args = parser.parse_args(argv)
    mandatory = frozenset(name.strip() for name in args.mandatory.split(",") if name.strip())
    unknown = sorted(mandatory - {check.name for check in CHECKS})
    if unknown:
        parser.error(f"--mandatory names unknown policies: {', '.join(unknown)}")
    stack_file = PROJECT_ROOT / f"Pulumi.{args.stack}.yaml"
    try:
        settings = stack_settings(stack_file)
    except OSError as error:
        print(f"cannot read {stack_file}: {error.strerror}", file=sys.stderr)
        return 2
    except (SettingsError, yaml.YAMLError) as error:
        print(f"{stack_file.name}: {error}", file=sys.stderr)
        return 2
    text = json.dumps(pack_config(settings, mandatory), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
