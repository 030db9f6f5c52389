"""The secretariat's group forms over HTTP: errors (summary, beside the field, values kept, in Japanese on Japanese
pages), the remove-member confirmation with its reason, success banners, and group names in Japanese."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.groups.models import GroupStatus, Membership, MembershipRole, WorkingGroup
from app.users.models import Role
from tests.support.pages import banner, error_summary, field_error, ja, summary_links, tag
from tests.support.sessions import CSRF_TOKEN

JA = {"Accept-Language": "ja"}
SLUG_MESSAGE = "the short name may use lower-case letters, digits and single hyphens (at most 64)"


def _new_group(**fields: str) -> dict[str, str]:
    return {"csrf_token": CSRF_TOKEN, "slug": "quantum", "name": "Quantum", "technology_area": "quantum", **fields}


def test_new_group_errors_are_summarised_shown_beside_the_field_and_keep_what_was_typed(browser_as, make_user) -> None:
    http = browser_as(make_user(Role.secretariat))
    typed = _new_group(slug="Not A Slug!", name="Quantum <Group>", name_ja="量子作業部会", charter_ja="**量子**技術")
    answer = http.post("/groups/new", data=typed)
    assert answer.status_code == 422
    assert summary_links(answer.text) == ["slug"] and SLUG_MESSAGE in error_summary(answer.text)
    assert field_error(answer.text, "slug") == SLUG_MESSAGE
    slug = tag(answer.text, "slug")
    assert 'aria-invalid="true"' in slug and 'aria-describedby="slug-hint slug-error"' in slug
    assert 'value="Not A Slug!"' in slug
    assert 'value="Quantum &lt;Group&gt;"' in tag(answer.text, "name")
    assert 'value="量子作業部会"' in tag(answer.text, "name_ja")
    assert "**量子**技術</textarea>" in answer.text
    assert "aria-invalid" not in tag(answer.text, "name")
    assert answer.text.count('aria-invalid="true"') == 1


def test_new_group_error_in_japanese_on_a_japanese_page(browser_as, make_user) -> None:
    http = browser_as(make_user(Role.secretariat))
    answer = http.post("/groups/new", data=_new_group(name="x" * 161), headers=JA)
    assert answer.status_code == 422
    assert ja("There is a problem") in answer.text
    message = ja("%(what)s is at most %(max)d characters") % {"what": ja("a working group's name"), "max": 160}
    assert field_error(answer.text, "name") == message
    assert summary_links(answer.text) == ["name"]


def test_a_taken_short_name_is_an_error_beside_the_short_name(browser_as, make_user, make_group) -> None:
    make_group("quantum")
    answer = browser_as(make_user(Role.secretariat)).post("/groups/new", data=_new_group())
    assert answer.status_code == 409
    assert field_error(answer.text, "slug") == "A working group with this short name already exists; choose another."


def test_a_new_group_with_japanese_name_says_so_and_is_shown_by_page_language(
    browser_as, make_user, db: Session, api_as
) -> None:
    officer = make_user(Role.secretariat)
    http = browser_as(officer)
    created = http.post(
        "/groups/new",
        data=_new_group(
            name="Quantum Working Group",
            name_ja="量子作業部会",
            charter="English charter.",
            charter_ja="日本語の設置要綱。",
        ),
    )
    assert created.status_code == 303 and created.headers["location"] == "/groups/quantum/manage"
    assert banner(http.get(created.headers["location"]).text) == "Working group Quantum Working Group created."
    group = db.scalar(select(WorkingGroup).where(WorkingGroup.slug == "quantum"))
    assert group is not None and group.name_ja == "量子作業部会" and group.charter_ja == "日本語の設置要綱。"

    japanese = http.get("/groups/quantum", headers=JA).text
    assert "<h1>量子作業部会</h1>" in japanese and "日本語の設置要綱。" in japanese
    assert "English charter." not in japanese
    english = http.get("/groups/quantum", headers={"Accept-Language": "en"}).text
    assert "<h1>Quantum Working Group</h1>" in english and "English charter." in english
    assert "量子作業部会" not in english
    assert ">量子作業部会</a>" in http.get("/", headers=JA).text

    api = api_as(officer)
    detail = api.get("/api/v1/working-groups/quantum").json()
    assert detail["name_ja"] == "量子作業部会" and detail["charter_ja"] == "日本語の設置要綱。"
    listed = {g["slug"]: g for g in api.get("/api/v1/working-groups").json()["items"]}
    assert listed["quantum"]["name_ja"] == "量子作業部会"


def test_without_japanese_the_english_name_and_charter_show_on_japanese_pages(
    browser_as, make_user, make_group
) -> None:
    group = make_group("plain")
    page = browser_as(make_user(Role.delegate, "JP")).get("/groups/plain", headers=JA).text
    assert f"<h1>{group.name}</h1>" in page


def test_manage_details_errors_keep_the_values_and_a_saved_change_says_so(
    browser_as, make_user, make_group, db: Session
) -> None:
    group = make_group("telecom")
    http = browser_as(make_user(Role.secretariat))
    details = {
        "csrf_token": CSRF_TOKEN,
        "name": "Telecom",
        "technology_area": "5g-6g",
        "charter": "C",
        "name_ja": "電気通信",
    }
    bad_status = http.post("/groups/telecom/manage", data={**details, "status": "dissolved"}, headers=JA)
    assert bad_status.status_code == 422
    assert field_error(bad_status.text, "status") == ja("choose a status")
    assert 'aria-invalid="true"' in tag(bad_status.text, "status")
    assert 'value="電気通信"' in tag(bad_status.text, "name_ja")
    db.refresh(group)
    assert group.name_ja is None

    saved = http.post("/groups/telecom/manage", data={**details, "status": "archived"})
    assert saved.status_code == 303
    assert banner(http.get(saved.headers["location"]).text) == "The working group's details were saved."
    db.refresh(group)
    assert group.name_ja == "電気通信" and group.status is GroupStatus.archived
    # A form without the Japanese fields (an older page or script) leaves the Japanese as it is.
    older = {"csrf_token": CSRF_TOKEN, "name": "Telecom", "technology_area": "5g-6g", "charter": "", "status": "active"}
    assert http.post("/groups/telecom/manage", data=older).status_code == 303
    db.refresh(group)
    assert group.name_ja == "電気通信"


def test_member_form_errors_are_shown_beside_the_field_not_as_a_bare_422(
    browser_as, make_user, make_group, db: Session
) -> None:
    observer = make_user(Role.observer, "AU", name="Olive Observer")
    group = make_group("semis", (observer, MembershipRole.observer))
    http = browser_as(make_user(Role.secretariat))
    not_a_number = http.post("/groups/semis/members", data={"csrf_token": CSRF_TOKEN, "user_id": "abc"})
    assert not_a_number.status_code == 422
    assert field_error(not_a_number.text, "user_id") == "choose a person from the list"
    bad_role = http.post(
        "/groups/semis/members", data={"csrf_token": CSRF_TOKEN, "user_id": str(observer.id), "role": "king"}
    )
    assert bad_role.status_code == 422 and field_error(bad_role.text, "role") == "choose a role"
    # From the member's own row: the message sits beside that row's role box, which keeps the choice.
    row = http.post(
        "/groups/semis/members",
        data={"csrf_token": CSRF_TOKEN, "user_id": str(observer.id), "role": "chair", "row": "1"},
        headers=JA,
    )
    assert row.status_code == 422
    role_box = f"role-{observer.id}"
    assert field_error(row.text, role_box) == ja("only a delegate may chair a working group")
    assert summary_links(row.text) == [role_box]
    assert '<option value="chair" selected>' in row.text.split(f'id="{role_box}"')[1].split("</select>")[0]
    assert db.scalar(select(Membership.role).where(Membership.group_id == group.id)) is MembershipRole.observer


def test_members_added_and_changed_say_so(browser_as, make_user, make_group) -> None:
    make_group("semis")
    delegate = make_user(Role.delegate, "IN", name="Ravi Kumar")
    http = browser_as(make_user(Role.secretariat))
    added = http.post("/groups/semis/members", data={"csrf_token": CSRF_TOKEN, "user_id": str(delegate.id)})
    assert banner(http.get(added.headers["location"]).text) == "Ravi Kumar was added."
    changed = http.post(
        "/groups/semis/members", data={"csrf_token": CSRF_TOKEN, "user_id": str(delegate.id), "role": "chair"}
    )
    assert banner(http.get(changed.headers["location"]).text) == "The role of Ravi Kumar was changed."


def test_removing_a_member_asks_first_and_keeps_the_reason(browser_as, make_user, make_group, db: Session) -> None:
    member = make_user(Role.delegate, "IN", name="Ravi Kumar")
    group = make_group("semis", (member, MembershipRole.member))
    group.name_ja = "半導体作業部会"
    db.commit()
    http = browser_as(make_user(Role.secretariat))
    manage = http.get("/groups/semis/manage").text
    assert f'href="/groups/semis/members/{member.id}/remove"' in manage

    asked = http.get(f"/groups/semis/members/{member.id}/remove")
    assert asked.status_code == 200
    assert f"<h1>Remove Ravi Kumar from {group.name}?</h1>" in asked.text
    assert 'name="reason"' in asked.text and 'aria-describedby="reason-hint"' in tag(asked.text, "reason")
    asked_ja = http.get(f"/groups/semis/members/{member.id}/remove", headers=JA).text
    assert ja("Remove %(name)s from %(group)s?") % {"name": "Ravi Kumar", "group": "半導体作業部会"} in asked_ja
    assert db.scalar(select(Membership.id).where(Membership.user_id == member.id)) is not None  # nothing yet

    too_long = http.post(
        f"/groups/semis/members/{member.id}/remove", data={"csrf_token": CSRF_TOKEN, "reason": "x" * 501}
    )
    assert too_long.status_code == 422 and field_error(too_long.text, "reason").startswith("the reason is at most 500")
    assert f'value="{"x" * 501}"' in tag(too_long.text, "reason")

    done = http.post(
        f"/groups/semis/members/{member.id}/remove", data={"csrf_token": CSRF_TOKEN, "reason": "Rotated out"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/groups/semis/manage"
    assert banner(http.get("/groups/semis/manage").text) == "Ravi Kumar was removed from the working group."
    db.expire_all()
    assert db.scalar(select(Membership.id).where(Membership.user_id == member.id)) is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "group.member_remove"))
    assert event is not None and event.data == {"user_id": member.id, "reason": "Rotated out"}
    assert http.get(f"/groups/semis/members/{member.id}/remove").status_code == 404


def test_the_group_api_takes_and_clears_japanese_names(api_as, make_user) -> None:
    api = api_as(make_user(Role.secretariat))
    created = api.post(
        "/api/v1/working-groups",
        json={"slug": "ai", "name": "AI", "technology_area": "ai", "name_ja": "人工知能", "charter_ja": "憲章"},
    )
    assert created.status_code == 201 and created.json()["name_ja"] == "人工知能"
    kept = api.patch("/api/v1/working-groups/ai", json={"charter": "New."})
    assert kept.json()["name_ja"] == "人工知能" and kept.json()["charter_ja"] == "憲章"
    cleared = api.patch("/api/v1/working-groups/ai", json={"name_ja": ""})
    assert cleared.json()["name_ja"] is None and cleared.json()["charter_ja"] == "憲章"
    too_long = api.patch("/api/v1/working-groups/ai", json={"name_ja": "長" * 161})
    assert too_long.status_code == 422
