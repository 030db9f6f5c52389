"""Imports every domain's models so that Alembic and the metadata see all tables."""

from app.audit.models import AuditEvent
from app.auth.models import ApiToken
from app.countries.models import Country
from app.groups.models import Membership, WorkingGroup
from app.users.models import IdentityLink, User

__all__ = ["ApiToken", "AuditEvent", "Country", "IdentityLink", "Membership", "User", "WorkingGroup"]
