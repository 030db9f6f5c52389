"""Who may create, see and revoke API tokens: the token actions, one refusal message each.

The object of each action is the id of the account that owns (or would own) the token: people manage their own
tokens; an administrator may see and revoke anyone's, and create one for another account (the CLI does, as SYSTEM).
"""

from __future__ import annotations

from enum import StrEnum

from app.access.principal import Principal
from app.access.rules import Rules
from app.core.errors import N_


class TokenAction(StrEnum):
    create = "create"
    see = "see"  # the list of an account's tokens (never the secrets)
    revoke = "revoke"


def _check(principal: Principal, action: TokenAction, owner_id: int) -> bool:
    own = principal.user_id is not None and owner_id == principal.user_id
    if action is TokenAction.create:
        # A pending account waits for approval before it may call the API.
        return principal.is_admin or (own and principal.is_active)
    return own or principal.is_admin


rules: Rules[TokenAction, int] = Rules(
    _check,
    denied={
        TokenAction.create: N_("Only an approved account may create API tokens, and only for itself."),
        TokenAction.see: N_("Only the owner of these API tokens, or an administrator, may see them."),
        TokenAction.revoke: N_("Only the owner of an API token, or an administrator, may revoke it."),
    },
)
