"""Rate limits on sign-in and token endpoints, per client address and per account.

In memory for the embedded default; in Redis when REDIS_URL is set, so every instance shares the counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.access.policy import current_principal
from app.access.principal import Principal
from app.core.errors import RateLimited


class RateLimits:
    def __init__(self, rules: dict[str, str], redis_url: str | None = None, key_prefix: str = "quad") -> None:
        options: dict[str, Any] = {"key_prefix": f"{key_prefix}:limits"} if redis_url else {}
        self.storage = storage_from_string(redis_url or "memory://", **options)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.rules: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in rules.items()}

    def hit(self, rule: str, *keys: str) -> None:
        """Counts one attempt against each key; raises RateLimited when any key is over its limit."""
        item = self.rules[rule]
        for key in keys:
            if not self.limiter.hit(item, rule, key):
                reset = self.limiter.get_window_stats(item, rule, key).reset_time
                raise RateLimited(retry_after=max(1, int(reset - time.time()) + 1))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limited(rule: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """A dependency: one hit per request against the client address and, when known, the account."""

    async def check(request: Request, principal: Principal = Depends(current_principal)) -> None:
        keys = [f"ip:{client_address(request)}"]
        if principal.user_id is not None:
            keys.append(f"user:{principal.user_id}")
        limits: RateLimits = request.app.state.rate_limits
        limits.hit(rule, *keys)

    return check


SignInLimit = Depends(rate_limited("sign-in"))
TokenLimit = Depends(rate_limited("tokens"))
