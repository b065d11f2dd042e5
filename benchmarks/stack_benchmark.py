"""How big the stack is and how long the program takes to build its resource graph under mocks.

Prints the dev stack's resource count by type, the resources each added region costs, what organization
scope, requireKms, and three managed rules with one conformance pack change, the prod stack's count, and
the time the mocked program takes for 3 and for 17 regions (median of several runs).
No AWS call is made.

    python benchmarks/stack_benchmark.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "functions")]

from components.settings import OPT_IN_REGIONS, supported_regions  # noqa: E402
from tests.infra.program import run_program, stack_file_config  # noqa: E402

DEV_CONFIG = stack_file_config("dev")
# The benchmark varies the regions; the primary region is then the first of them.
BASE_CONFIG = {key: value for key, value in DEV_CONFIG.items() if key not in ("regions", "primaryRegion")}


ORGANIZATION = {"scope": "organization", "memberOrganizationalUnits": ["r-ab12"]}
EXAMPLE_PACK = ROOT / "examples" / "conformance-packs" / "encryption-and-logging.yaml"
# Three AWS managed rules (two regional, one on a global resource) and the example conformance pack.
MANAGED_RULES_AND_PACK = {
    "managedRules": [
        {"identifier": "S3_BUCKET_VERSIONING_ENABLED"},
        {"identifier": "RDS_STORAGE_ENCRYPTED"},
        {"identifier": "IAM_PASSWORD_POLICY"},
    ],
    "conformancePacks": [
        {"name": "encryption-logging", "template": str(EXAMPLE_PACK)}
    ],
}


def resource_counts(regions: list[str], **extra: object) -> Counter[str]:
    deployment = run_program({**BASE_CONFIG, "regions": regions, **extra})
    return Counter(r.type for r in deployment.registrations)


def timed(regions: list[str], runs: int) -> float:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        run_program({**BASE_CONFIG, "regions": regions})
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (the median is printed)")
    args = parser.parse_args()

    dev = resource_counts(DEV_CONFIG["regions"])
    print(f"dev stack (3 regions): {sum(dev.values())} resources")
    for resource_type, count in sorted(dev.items()):
        print(f"  {count:4}  {resource_type}")

    one = resource_counts(["us-east-1"])
    two = resource_counts(["us-east-1", "us-west-2"])
    three = resource_counts(["us-east-1", "us-west-2", "eu-west-1"])
    print(f"1 region: {sum(one.values())} resources")
    second = sum(two.values()) - sum(one.values())
    print(f"the second region adds {second} (with the shared alert-forwarder role)")
    print(f"each further region adds {sum(three.values()) - sum(two.values())}:")
    for resource_type, count in sorted((three - two).items()):
        print(f"  {count:4}  {resource_type}")

    organization = resource_counts(DEV_CONFIG["regions"], **ORGANIZATION)
    total = sum(organization.values())
    print(f"organization scope, 3 regions: {total} resources; compared with account scope:")
    for resource_type in sorted(set(dev) | set(organization)):
        if organization[resource_type] != dev[resource_type]:
            print(f"  {organization[resource_type] - dev[resource_type]:+4}  {resource_type}")

    kms = resource_counts(DEV_CONFIG["regions"], requireKms="true")
    print(f"requireKms, 3 regions: {sum(kms.values())} resources; compared with the default:")
    for resource_type in sorted(set(dev) | set(kms)):
        if kms[resource_type] != dev[resource_type]:
            print(f"  {kms[resource_type] - dev[resource_type]:+4}  {resource_type}")
    extended = resource_counts(DEV_CONFIG["regions"], **MANAGED_RULES_AND_PACK)
    print(f"three managed rules and one pack, 3 regions: {sum(extended.values())} resources; against dev:")
    for resource_type in sorted(set(dev) | set(extended)):
        if extended[resource_type] != dev[resource_type]:
            print(f"  {extended[resource_type] - dev[resource_type]:+4}  {resource_type}")
    prod = Counter(r.type for r in run_program(stack_file_config("prod"), stack="prod").registrations)
    print(f"prod stack (4 regions, requireKms): {sum(prod.values())} resources")

    # Regions every account has enabled, so the figures are those of a deployable stack.
    seventeen = sorted(supported_regions() - OPT_IN_REGIONS)[:17]
    print(f"17 regions: {sum(resource_counts(seventeen).values())} resources")
    timed(DEV_CONFIG["regions"], 1)  # warm imports
    for label, regions in (("3 regions", DEV_CONFIG["regions"]), ("17 regions", seventeen)):
        print(f"mocked program, {label}: {timed(regions, args.runs):.2f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
