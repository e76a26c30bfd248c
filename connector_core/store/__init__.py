"""The store: SQLModel tables and the few functions that read and write them."""

from connector_core.store.database import Store, StoreError, database_url, redact

__all__ = ["Store", "StoreError", "database_url", "redact"]
