from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class RateLimitBucket(Base):
    """One token bucket per API key, shared by every API process.

    UNLOGGED: a crash empties it, which only forgives a little spending; it spares the WAL a
    write per request.
    """

    __tablename__ = "rate_limit_buckets"
    __table_args__ = ({"prefixes": ["UNLOGGED"]},)

    api_key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    """Points available at `updated_at`; the bucket refills continuously from there."""
    updated_at: Mapped[datetime]
