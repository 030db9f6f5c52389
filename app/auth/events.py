"""The audit actions of sign-in, sessions and API tokens."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class AuthEvent(AuditAction):
    sign_in = "auth.sign_in"
    refused = "auth.refused"
    sign_out_everywhere = "auth.sign_out_everywhere"
    token_create = "token.create"
    token_revoke = "token.revoke"
    token_revoke_all = "token.revoke_all"

    __labels__ = {
        "auth.sign_in": N_("Signed in"),
        "auth.refused": N_("Sign-in refused"),
        "auth.sign_out_everywhere": N_("Signed out everywhere"),
        "token.create": N_("API token created"),
        "token.revoke": N_("API token revoked"),
        "token.revoke_all": N_("All API tokens revoked"),
    }
