"""The Config rules' InputParameters, checked before deployment by the functions' own parsers.

Each check's function parses its parameters with ``parse_parameters`` (functions/evaluators); the stack
runs the very same parser on the parameters it would deploy, so it never deploys a parameter its
function refuses. The evaluator modules are imported when first needed (about 20 ms once boto3 is loaded).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING

from evaluators.errors import InvalidParameterError

from components.catalog import CHECKS, Check

if TYPE_CHECKING:
    from components.settings import Settings

# AWS Config API Reference, ConfigRule.InputParameters: a string of length 1 to 1024.
MAX_INPUT_PARAMETERS_LENGTH = 1024


def function_parser(check: Check) -> Callable[[Mapping[str, str]], object]:
    """The parser the check's Lambda handler runs on its rule parameters."""
    parser: Callable[[Mapping[str, str]], object] = importlib.import_module(
        check.function_module
    ).CHECK.parse_parameters
    return parser


def rule_parameter_problems(settings: Settings, already_reported: Collection[str]) -> list[str]:
    """A problem, naming the stack setting, for each rule parameter Config or the function would refuse.

    Settings in ``already_reported`` have a problem of their own (or could not be read): their
    parameters are not judged again, so one mistake is reported once.
    """
    problems = []
    for check in CHECKS:
        parameters = check.parameters(settings)
        settings_of = {parameter.name: parameter.setting for parameter in check.rule_parameters}
        length = len(json.dumps(parameters))
        if length > MAX_INPUT_PARAMETERS_LENGTH:
            problems.append(
                f"the {check.name} rule's parameters would be {length} characters, more than the "
                f"{MAX_INPUT_PARAMETERS_LENGTH} Config accepts: shorten "
                f"{', '.join(settings_of[name] for name in parameters)}"
            )
        try:
            function_parser(check)(parameters)
        except InvalidParameterError as refused:
            setting = settings_of.get(refused.parameter, refused.parameter)
            if setting not in already_reported:
                problems.append(
                    f"{setting}: {refused.problem} (the {check.name} rule's function would refuse its "
                    f"parameter {refused.parameter})"
                )
    return problems
