"""What the accounts API and the console pages share: the route gate of each account action, the search filters
(one parser, service.parse_filters, for both), and the console's forms.

Forms keep what was typed as text and parse it inside the page's action, so a bad choice shows the form again
with the message beside the field instead of FastAPI's bare 422 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Form, Query

from app.access.policy import AdminPrincipal, SecretariatPrincipal
from app.core.errors import N_, InvalidInput
from app.users import service
from app.users.models import Role, UserStatus
from app.web.forms import parse_choice

# One gate per account action, the same on the API and the pages: the secretariat looks people up and decides on
# registrations; administrators change accounts (app.users.permissions has the object rules).
AccountReader = SecretariatPrincipal
RegistrationDecider = SecretariatPrincipal
AccountChanger = AdminPrincipal


def api_user_filters(
    q: Annotated[str, Query(max_length=200, description="Text in the name or email")] = "",
    role: Annotated[Role | Literal[""], Query()] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    status: Annotated[UserStatus | Literal[""], Query()] = "",
) -> service.UserFilters:
    return service.parse_filters(q, role, country, status)


ApiUserFilters = Annotated[service.UserFilters, Depends(api_user_filters)]


@dataclass(frozen=True)
class RawUserFilters:
    """The console's search form as typed; parsed by the page (service.parse_filters), so a bad value shows the
    form again with its message."""

    q: str = ""
    role: str = ""
    country: str = ""
    status: str = ""

    @classmethod
    def from_query(cls, q: str = "", role: str = "", country: str = "", status: str = "") -> RawUserFilters:
        # Cut, not refused: the page shows what came back, and a 200-character search is plenty.
        return cls(q[:201], role[:32], country[:8], status[:32])

    def parsed(self) -> service.UserFilters:
        return service.parse_filters(self.q, self.role, self.country, self.status)


PageUserFilters = Annotated[RawUserFilters, Depends(RawUserFilters.from_query)]

CLEARANCE = {"yes": True, "no": False}


@dataclass(frozen=True)
class AccountChangeForm:
    """The console's change form. Values equal to the account's own mean "no change". Export clearance is a
    checkbox: `export_cleared_shown` says it was on the form, so an unticked box means "not cleared" (older pages
    and scripts send export_cleared=yes|no)."""

    role: str = ""
    country: str = ""
    status: str = ""
    export_cleared: str = ""
    export_cleared_shown: bool = False
    reason: str = ""
    confirmed: bool = False

    @classmethod
    def from_form(
        cls,
        role: Annotated[str, Form()] = "",
        country: Annotated[str, Form()] = "",
        status: Annotated[str, Form()] = "",
        export_cleared: Annotated[str, Form()] = "",
        export_cleared_shown: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        confirmed: Annotated[str, Form()] = "",
    ) -> AccountChangeForm:
        return cls(role, country, status, export_cleared, bool(export_cleared_shown), reason, confirmed == "yes")

    @property
    def clearance(self) -> str:
        """ "yes", "no" or "" (no change), whichever way the form said it."""
        if not self.export_cleared and self.export_cleared_shown:
            return "no"
        return self.export_cleared

    def change(self) -> service.AccountChange:
        if self.clearance not in ("", *CLEARANCE):
            raise InvalidInput(N_("choose whether the account is cleared"), field="export_cleared")
        return service.AccountChange(
            role=parse_choice(Role, self.role, message=N_("choose a role from the list"), field="role")
            if self.role
            else None,
            country=self.country or None,
            status=parse_choice(UserStatus, self.status, message=N_("choose a status from the list"), field="status")
            if self.status
            else None,
            export_cleared=CLEARANCE.get(self.clearance),
        )

    def values(self) -> dict[str, str]:
        return {
            "role": self.role,
            "country": self.country,
            "status": self.status,
            "export_cleared": self.clearance,
            "reason": self.reason,
        }


AccountChangeFormData = Annotated[AccountChangeForm, Depends(AccountChangeForm.from_form)]


@dataclass(frozen=True)
class DecisionForm:
    """A decision from the approval queue: approve (optionally into a group) or reject, with an optional reason."""

    decision: str = ""
    group: str = ""
    reason: str = ""

    @classmethod
    def from_form(
        cls,
        decision: Annotated[str, Form()] = "",
        group: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
    ) -> DecisionForm:
        return cls(decision, group, reason)

    def approves(self) -> bool:
        if self.decision not in ("approve", "reject"):
            raise InvalidInput(N_("choose to approve or to reject the registration"))
        return self.decision == "approve"


DecisionFormData = Annotated[DecisionForm, Depends(DecisionForm.from_form)]
