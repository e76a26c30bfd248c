"""lerconnect: campus records in, standard verifiable Learning and Employment Records out.

This module is the public face a plugin imports from; everything else is internal.
"""

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
    Tombstone,
)
from connector_core.source import (
    CONTRACT_VERSION,
    IdText,
    Page,
    RecordError,
    SandboxServer,
    Source,
    SourceAuthError,
    SourceConfig,
    SourceError,
    SourcePermissionError,
    SourceUnavailable,
)

__version__ = "0.1.0"

__all__ = [
    "CONTRACT_VERSION",
    "Achievement",
    "AchievementKind",
    "Alignment",
    "Association",
    "DropRecord",
    "IdText",
    "IssuePolicyError",
    "Learner",
    "LearningRecord",
    "Page",
    "RecordError",
    "Result",
    "ResultScheme",
    "ResultStatus",
    "RubricLevel",
    "SandboxServer",
    "Source",
    "SourceAuthError",
    "SourceConfig",
    "SourceError",
    "SourcePermissionError",
    "SourceUnavailable",
    "Tombstone",
    "__version__",
    "hookimpl",
]
