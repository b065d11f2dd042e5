"""What a check concludes about one resource, and the evaluation posted to Config for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

# PutEvaluations rejects longer annotations.
MAX_ANNOTATION = 256
_ELLIPSIS = "..."


class Compliance(StrEnum):
    """The compliance types PutEvaluations accepts (it rejects INSUFFICIENT_DATA)."""

    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON_COMPLIANT"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class MissingEvidence(Exception):
    """The configuration item lacks what a verdict needs; the resource is reported as not evaluated."""


@dataclass(frozen=True)
class Verdict:
    compliance: Compliance
    annotation: str

    @classmethod
    def compliant(cls, annotation: str) -> Verdict:
        return cls(Compliance.COMPLIANT, annotation)

    @classmethod
    def non_compliant(cls, annotation: str) -> Verdict:
        return cls(Compliance.NON_COMPLIANT, annotation)

    @classmethod
    def not_applicable(cls, annotation: str) -> Verdict:
        return cls(Compliance.NOT_APPLICABLE, annotation)


def fit_annotation(text: str) -> str:
    """Collapse whitespace and cut to the 256 characters PutEvaluations allows."""
    text = " ".join(text.split())
    if len(text) <= MAX_ANNOTATION:
        return text
    return text[: MAX_ANNOTATION - len(_ELLIPSIS)] + _ELLIPSIS


@dataclass(frozen=True)
class Evaluation:
    resource_type: str
    resource_id: str
    compliance: Compliance
    annotation: str
    ordering_timestamp: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.resource_type, self.resource_id)

    def to_api(self) -> dict[str, Any]:
        """The PutEvaluations shape; ``Annotation`` is omitted when empty (AWS requires 1-256 chars)."""
        body: dict[str, Any] = {
            "ComplianceResourceType": self.resource_type,
            "ComplianceResourceId": self.resource_id,
            "ComplianceType": self.compliance.value,
            "OrderingTimestamp": self.ordering_timestamp,
        }
        annotation = fit_annotation(self.annotation)
        if annotation:
            body["Annotation"] = annotation
        return body
