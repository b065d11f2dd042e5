"""The resource types AWS Config can record, as the Config API declares them."""

from __future__ import annotations

import functools

import botocore.model
import botocore.session


@functools.cache
def recordable_resource_types() -> frozenset[str]:
    """The resource types AWS Config records, from botocore's bundled Config service model (its
    ResourceType enumeration, which PutConfigurationRecorder's RecordingGroup takes)."""
    model = botocore.session.get_session().get_service_model("config")
    shape = model.shape_for("ResourceType")
    assert isinstance(shape, botocore.model.StringShape)
    return frozenset(shape.enum)
