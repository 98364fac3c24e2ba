"""Barème des redevances (seed 001 annex 3): the amounts Certif Pro invoices, per certification, from a year on.
They change each year by decision of Certif Pro's board, so they are data edited by Certif Pro, not code."""

import decimal

from flask_appbuilder import Model
from sqlalchemy import Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import TimestampMixin
from app.models.referentiels import CERTIFICATIONS


class BaremeRedevance(TimestampMixin, Model):
    __tablename__ = "bareme_redevance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certification: Mapped[str] = mapped_column(String(20), nullable=False)
    # The barème applies to events from 1 January of this year until a newer barème.
    annee: Mapped[int] = mapped_column(Integer, nullable=False)
    # € HT: per habilitation request (« frais d'instruction »), per habilitated site and year (« frais de
    # gestion », on the habilitation's anniversary), per certificate delivered (« redevance »).
    frais_instruction: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    frais_gestion_site: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    redevance_certificat: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2), nullable=False)

    __table_args__ = (UniqueConstraint("certification", "annee", name="uq_bareme_certification_annee"),)

    @property
    def certification_label(self) -> str:
        return CERTIFICATIONS.get(self.certification, self.certification)

    def __str__(self):
        return f"Barème {self.certification_label} {self.annee}"
