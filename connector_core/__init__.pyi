"""What a type checker sees of the lazily imported public face (`__init__.py` imports each on first use)."""

from .hook_contexts import CredentialKind, DeliveryContext, IssueContext, LearnerRef, RecordRef, TransformContext
from .hookspecs import DropRecord, IssuePolicyError, hookimpl
from .model import (
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
from .sandbox import Campus, build_campus
from .source import (
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
from .text import plain_text

__version__: str

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
