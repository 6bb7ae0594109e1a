"""ZIP code centroids, loaded from ``content/geo/us-zcta-centroids.csv``."""
from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PostalCentroid(db.Model):
    """The internal point of one ZIP Code Tabulation Area (close to, not the same as, a USPS ZIP)."""

    __tablename__ = "postal_centroid"

    postal_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
