"""Counting the SQL statements one HTTP request runs, to catch N+1 queries.

    with count_queries(app) as queries:
        response = client.get("/groups/5g-6g")
    assert queries.count == 7, queries.report()

The app's sessions run on `app.state.engine` (in tests, on the `connection` fixture's Connection of that engine),
so a `before_cursor_execute` listener on the engine sees every statement, whichever thread runs it. Statements
that only manage transactions (BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO) are kept in `statements` but not in
`count`: the test harness adds savepoints that production does not have, and they say nothing about N+1.
Make no database calls of your own inside the block: they would be counted too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE|ROLLBACK|COMMIT)\b", re.IGNORECASE)


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, statement: str) -> None:
        with self._lock:
            self.statements.append(statement)

    @property
    def queries(self) -> list[str]:
        """The statements that read or write data (transaction control left out)."""
        return [s for s in self.statements if not TRANSACTION_CONTROL.match(s)]

    @property
    def count(self) -> int:
        return len(self.queries)

    def report(self) -> str:
        lines = [f"{self.count} queries:"]
        lines += [f"  {n}. {' '.join(s.split())[:300]}" for n, s in enumerate(self.queries, 1)]
        return "\n".join(lines)


@contextmanager
def count_queries(app: FastAPI) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    engine = app.state.engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counter.record(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
