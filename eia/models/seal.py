from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.organisation import Organisation
from eia.models.types import UTCDateTime


class SealCertificate(db.Model):
    """A period in which an organisation sealed its records with one certificate (the public part only).

    Every certificate an organisation ever sealed with stays here, so every record it sealed keeps
    verifying after rotation, expiry, a lost key or a restore elsewhere. At most one period per
    organisation is open (``in_use_until`` NULL): the seal new records get.
    """

    __table_args__ = (
        Index(
            "uq_seal_certificate_in_use",
            "organisation_id",
            unique=True,
            sqlite_where=text("in_use_until IS NULL"),
            postgresql_where=text("in_use_until IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    certificate_sha256: Mapped[str] = mapped_column(String(64), index=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    in_use_from: Mapped[datetime] = mapped_column(UTCDateTime)
    in_use_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the private key was (a file under the instance folder, a PKCS#12 file, a PKCS#11 token): never the key.
    key_source: Mapped[str] = mapped_column(String(500))

    organisation: Mapped[Organisation] = relationship()
