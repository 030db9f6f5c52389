"""Route gates of the token actions, the same on the API (/api/v1/me/tokens) and the profile pages: an approved
account creates tokens; anyone signed in sees and revokes their own (app/auth/permissions.py decides the rest)."""

from __future__ import annotations

from app.access.policy import ActivePrincipal, AdminPrincipal, SignedInPrincipal

TokenMaker = ActivePrincipal
TokenOwner = SignedInPrincipal
# Someone else's tokens: only administrators, from the console and /api/v1/users/{id}/tokens.
TokenAdmin = AdminPrincipal
