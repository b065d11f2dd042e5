"""The account-scope resource graph stays as it was before organization scope existed.

``account_scope_graph.json`` holds the dev stack's account-scope resources (URN, provider, parent,
dependencies) as recorded when organization scope was added; the organization settings and code must
not change a single one of them. Regenerate it only for a deliberate change to the account-scope graph:
``.venv/bin/python -m tests.infra.test_account_scope_graph``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.infra.conftest import DEV_CONFIG
from tests.infra.program import Deployment, run_program

SNAPSHOT = Path(__file__).with_name("account_scope_graph.json")


def graph(deployment: Deployment) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "urn": r.urn,
                "provider": r.provider_urn,
                "parent": r.parent,
                "dependencies": sorted(r.dependencies),
            }
            for r in deployment.registrations
        ),
        key=lambda entry: entry["urn"],
    )


def test_account_scope_graph_is_unchanged(dev: Deployment) -> None:
    assert graph(dev) == json.loads(SNAPSHOT.read_text())


def test_explicit_account_scope_is_the_default_graph(dev: Deployment) -> None:
    assert graph(run_program({**DEV_CONFIG, "scope": "account"})) == graph(dev)


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(graph(run_program(DEV_CONFIG)), indent=1) + "\n")
