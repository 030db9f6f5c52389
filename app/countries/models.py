from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Country(Base):
    """A Quad member. The code (US, JP, AU, IN) is the key everything else refers to."""

    __tablename__ = "country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(80))
    name_ja: Mapped[str] = mapped_column(String(80))
    capital_en: Mapped[str] = mapped_column(String(80))
    capital_ja: Mapped[str] = mapped_column(String(80))
    time_zone: Mapped[str] = mapped_column(String(64))
    default_language: Mapped[str] = mapped_column(String(8))
    sort_order: Mapped[int] = mapped_column(default=0)

    def name(self, language: str) -> str:
        return self.name_ja if language == "ja" else self.name_en

    def capital(self, language: str) -> str:
        return self.capital_ja if language == "ja" else self.capital_en
