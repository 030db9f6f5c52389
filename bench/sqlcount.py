"""SQL statements per request, counted in this process: the same app and database, one request at a time.

The served workers are left alone (nothing in them is instrumented); here the app is built with the same
settings and every statement its engine sends is counted while one request runs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app

# Transaction control is not a query, and only SQLite's engine sends BEGIN as a statement: leave it out of both.
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


class StatementCounter:
    def __init__(self, environment: dict[str, str]) -> None:
        self.app = create_app(Settings.model_validate(environment))  # keys are the env names
        logging.getLogger().setLevel(logging.WARNING)  # create_app turns on INFO logs: keep the terminal readable
        self.count = 0
        event.listen(self.app.state.engine, "before_cursor_execute", self._count)
        # An error answers 500 here (and fails its row) rather than ending the run with the app's traceback.
        self.client = TestClient(
            self.app, base_url="http://127.0.0.1", follow_redirects=False, raise_server_exceptions=False
        )

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            self.count += 1

    def _request(self, path: str, headers: dict[str, str]) -> int:
        """One GET read to its end: a download is a StreamingResponse, whose body (and whatever the app does while
        sending it) only runs as it is read. Read in chunks and dropped, so a large file is never held whole."""
        with self.client.stream("GET", path, headers=headers) as response:
            for _ in response.iter_raw():
                pass
            return int(response.status_code)

    def measure(self, path: str, headers: dict[str, str]) -> tuple[int, int]:
        """(status, statements) of a warm request: the first one may open connections and fill caches."""
        self._request(path, headers)
        self.count = 0
        status = self._request(path, headers)
        return status, self.count

    def close(self) -> None:
        self.client.close()
        self.app.state.engine.dispose()
