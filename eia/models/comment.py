from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.assessment import Assessment
from eia.models.types import UTCDateTime, utcnow
from eia.models.user import User


class Comment(db.Model):
    """A comment on an assessment: the Board comments by exception, anyone involved may reply."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessment: Mapped[Assessment] = relationship()
    author: Mapped[User] = relationship()
