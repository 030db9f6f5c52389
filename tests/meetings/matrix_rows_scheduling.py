"""Who may ask for a meeting time (merged into the access matrix): signed-in government participants and the
secretariat, about a group they may read; industry and pending accounts are refused."""

from __future__ import annotations

from tests.support.matrix import QUAD_READERS, Row, page_row

QUESTION = "date_from=2026-03-02&date_to=2026-03-08&length=60&meetings=3"

ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/groups/{slug}/find-a-time"): page_row(
        QUAD_READERS, 200, lambda w, p: f"/groups/{w.group_slug}/find-a-time?{QUESTION}"
    ),
    ("GET", "/api/v1/working-groups/{slug}/find-a-time"): Row(
        QUAD_READERS, 200, lambda w, p: f"/api/v1/working-groups/{w.group_slug}/find-a-time?{QUESTION}"
    ),
}
