"""The README's `pulumi config set --path` commands, applied to the shipped dev stack, leave valid settings.

`pulumi config set --path 'key[i]' value` replaces item i when it exists and appends when i is the
length of the list; a higher index is refused ("array index out of range", pulumi/pulumi#20376).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.settings import SettingsError, parse_settings
from tests.infra.program import PROJECT_ROOT, stack_file_config
from tests.infra.test_settings import as_pulumi_config

SET_PATH = re.compile(r"pulumi config set --path '(\w+)\[(\d+)\]' (\S+?)`?(?: --stack (\w+))?[`,.]?(?:\s|$)")


def set_path(config: dict[str, Any], key: str, index: int, value: str) -> None:
    """Pulumi's `config set --path 'key[index]' value` on a list setting."""
    items = list(config.get(key, []))
    if index > len(items):
        raise IndexError(f"{key}[{index}]: array index out of range")
    if index == len(items):
        items.append(value)
    else:
        items[index] = value
    config[key] = items


def readme_commands() -> list[tuple[str, int, str]]:
    text = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    return [(key, int(index), value) for key, index, value, _ in SET_PATH.findall(text)]


def test_the_readme_shows_the_commands_this_test_applies() -> None:
    assert readme_commands() == [
        ("notificationEmails", 0, "you@example.com"),
        ("regions", 3, "ap-southeast-2"),
    ]


@pytest.mark.parametrize("command", readme_commands(), ids=lambda c: f"{c[0]}[{c[1]}]")
def test_each_readme_command_leaves_the_dev_stack_valid(command: tuple[str, int, str]) -> None:
    config = stack_file_config("dev")
    before = list(config.get(command[0], []))
    set_path(config, *command)

    # On the dev stack each command adds its value; nothing the stack had is replaced.
    assert config[command[0]] == [*before, command[2]]
    # And the result is valid settings (SettingsError otherwise).
    parse_settings(as_pulumi_config(config))


def test_an_index_that_exists_would_replace_a_region_and_be_refused() -> None:
    config = stack_file_config("dev")
    set_path(config, "regions", 1, "eu-west-1")
    assert config["regions"] == ["us-east-1", "eu-west-1", "eu-west-1"]
    with pytest.raises(SettingsError, match="regions"):
        parse_settings(as_pulumi_config(config))
