"""Small shared column helpers."""

import datetime

from sqlalchemy import JSON, DateTime, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, server_default=func.now(), nullable=False
    )


# Lists of rows kept in one column (a dossier's sites, members, intervenants…): JSONB on PostgreSQL, whose values
# compare (a SELECT DISTINCT over the row works), JSON elsewhere.
JSON_ROWS = JSON().with_variant(JSONB(), "postgresql")
