"""lerconnect: campus records in, standard verifiable Learning and Employment Records out.

This module is the public face a plugin imports from, together with the toolkits it names:
`connector_core.sandbox` (the synthetic campus and serving helpers), `connector_core.testing` (the
plugin test kit) and `connector_core.transport` (REST and SOAP clients, paginators, source bases).
Everything else is internal.
"""

from connector_core.hook_contexts import (
    CredentialKind,
    DeliveryContext,
    IssueContext,
    IssuingContext,
    LearnerRef,
    RecordRef,
    TransformContext,
)
from connector_core.hookspecs import DropRecord, IssuePolicyError, hookimpl
from connector_core.model import (
    Achievement,
    AchievementKind,
    Alignment,
    Association,
    Learner,
    LearningRecord,
    Result,
    ResultScheme,
    ResultStatus,
    RubricLevel,
    Term,
    Tombstone,
)
from connector_core.sandbox import Campus, build_campus
from connector_core.source import (
    CONTRACT_VERSION,
    Cursor,
    IdText,
    Page,
    RecordError,
    SandboxServer,
    Source,
    SourceAuthError,
    SourceConfig,
    SourceContext,
    SourceError,
    SourcePermissionError,
    SourceUnavailable,
)
from connector_core.text import plain_text

__version__ = "0.1.0"

__all__ = [
    "CONTRACT_VERSION",
    "Achievement",
    "AchievementKind",
    "Alignment",
    "Association",
    "Campus",
    "CredentialKind",
    "Cursor",
    "DeliveryContext",
    "DropRecord",
    "IdText",
    "IssueContext",
    "IssuePolicyError",
    "IssuingContext",
    "Learner",
    "LearnerRef",
    "LearningRecord",
    "Page",
    "RecordError",
    "RecordRef",
    "Result",
    "ResultScheme",
    "ResultStatus",
    "RubricLevel",
    "SandboxServer",
    "Source",
    "SourceAuthError",
    "SourceConfig",
    "SourceContext",
    "SourceError",
    "SourcePermissionError",
    "SourceUnavailable",
    "Term",
    "Tombstone",
    "TransformContext",
    "__version__",
    "build_campus",
    "hookimpl",
    "plain_text",
]
