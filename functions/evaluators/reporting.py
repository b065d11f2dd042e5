"""Posting evaluations to Config: batches of 100, FailedEvaluations retried, TESTMODE honoured.

Batches are independent (each names its own resources), so a sweep posts them concurrently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from evaluators.aws import AwsClient
from evaluators.events import TEST_MODE_TOKEN
from evaluators.verdicts import Evaluation

BATCH_SIZE = 100  # the PutEvaluations maximum
ATTEMPTS = 4

logger = logging.getLogger(__name__)


def put_evaluations(
    config_client: AwsClient,
    evaluations: Sequence[Evaluation],
    result_token: str,
    sleep: Callable[[float], None] | None = None,
    executor: Executor | None = None,
) -> list[Evaluation]:
    """Post every evaluation; return the ones Config still refused after ``ATTEMPTS`` tries.

    An empty sequence is posted once as an empty call, so a periodic run with nothing in scope still
    reports that it ran. With an ``executor``, batches are posted concurrently; an exception from any
    batch is raised after every batch has been tried.
    """
    test_mode = result_token == TEST_MODE_TOKEN
    if not evaluations:
        config_client.put_evaluations(Evaluations=[], ResultToken=result_token, TestMode=test_mode)
        return []

    def post(start: int) -> list[Evaluation]:
        pending = list(evaluations[start : start + BATCH_SIZE])
        for attempt in range(ATTEMPTS):
            if attempt:
                (sleep or time.sleep)(0.5 * 2 ** (attempt - 1))
            response = config_client.put_evaluations(
                Evaluations=[e.to_api() for e in pending], ResultToken=result_token, TestMode=test_mode
            )
            failed = {
                (f.get("ComplianceResourceType"), f.get("ComplianceResourceId"))
                for f in response.get("FailedEvaluations") or []
            }
            pending = [e for e in pending if e.key in failed]
            if not pending:
                break
            logger.warning("Config refused %d evaluation(s), attempt %d", len(pending), attempt + 1)
        return pending

    starts = range(0, len(evaluations), BATCH_SIZE)
    if executor is None or len(starts) == 1:
        return [e for start in starts for e in post(start)]
    futures = [executor.submit(post, start) for start in starts]
    errors = [error for future in futures if (error := future.exception()) is not None]
    if errors:
        raise errors[0]
    return [e for f in futures for e in f.result()]
