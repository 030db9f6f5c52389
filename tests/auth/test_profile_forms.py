"""The person's own forms over HTTP: preferences, creating and revoking API tokens (with the confirmation and its
reason), industry onboarding, and the banners that say each was done."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth.models import ApiToken
from app.users.models import Role, User
from tests.auth.test_signin import _csrf_from, sign_in_via
from tests.support.pages import banner, error_summary, field_error, ja, summary_links, tag
from tests.support.sessions import CSRF_TOKEN

JA = {"Accept-Language": "ja"}


def test_preferences_refuse_an_unknown_zone_beside_the_field_and_say_when_saved(
    browser_as, make_user, db: Session
) -> None:
    user = make_user(Role.delegate, "AU")
    http = browser_as(user)
    data = {"csrf_token": CSRF_TOKEN, "language": "ja", "time_zone": "Mars/Olympus"}
    refused = http.post("/profile/preferences", data=data, headers=JA)
    assert refused.status_code == 422
    assert field_error(refused.text, "time_zone") == ja("That time zone is unknown. Choose one from the list.")
    assert summary_links(refused.text) == ["time_zone"]
    assert '<option value="Mars/Olympus" selected>' in refused.text  # what was sent stays chosen
    assert '<option value="ja" lang="ja" selected>' in refused.text
    db.refresh(user)
    assert user.language is None

    wrong_language = http.post("/profile/preferences", data={"csrf_token": CSRF_TOKEN, "language": "fr"})
    assert wrong_language.status_code == 422
    assert 'aria-invalid="true"' in tag(wrong_language.text, "language")

    saved = http.post("/profile/preferences", data={**data, "time_zone": "Australia/Perth"})
    assert saved.status_code == 303 and saved.headers["location"] == "/profile"
    page = http.get("/profile").text
    assert banner(page) == ja("Your preferences were saved.")  # the new language applies at once
    db.refresh(user)
    assert (user.language, user.time_zone) == ("ja", "Australia/Perth")


def test_token_form_errors_are_beside_their_fields_and_keep_the_name(browser_as, make_user, db: Session) -> None:
    http = browser_as(make_user(Role.delegate, "US"))
    words = http.post("/profile/tokens", data={"csrf_token": CSRF_TOKEN, "name": "laptop", "expires_days": "ninety"})
    assert words.status_code == 422
    assert field_error(words.text, "token-days") == "enter the expiry as a whole number of days"
    assert 'value="laptop"' in tag(words.text, "token-name") and 'value="ninety"' in tag(words.text, "token-days")
    assert 'aria-describedby="token-days-hint token-days-error"' in tag(words.text, "token-days")

    too_long = http.post("/profile/tokens", data={"csrf_token": CSRF_TOKEN, "name": "laptop", "expires_days": "9999"})
    assert too_long.status_code == 422
    assert field_error(too_long.text, "token-days") == "a token expires after 1 to 3650 days"

    unnamed = http.post("/profile/tokens", data={"csrf_token": CSRF_TOKEN, "name": " "}, headers=JA)
    assert unnamed.status_code == 422
    assert field_error(unnamed.text, "token-name") == ja("%(what)s is required") % {"what": ja("a token's name")}
    assert db.scalar(select(ApiToken.id)) is None

    created = http.post("/profile/tokens", data={"csrf_token": CSRF_TOKEN, "name": "laptop", "expires_days": "30"})
    assert created.status_code == 200 and banner(created.text) == "API token laptop created."
    assert re.search(r'<code class="token">qd_', created.text)
    assert 'value=""' in tag(created.text, "token-name")  # a fresh form for the next token


def test_revoking_my_token_asks_first_and_keeps_the_reason(
    browser_as, make_user, db: Session, token_for, base_url: str
) -> None:
    user = make_user(Role.delegate, "US")
    raw = token_for(user)
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token is not None
    http = browser_as(user)
    asked = http.get(f"/profile/tokens/{token.id}/revoke")
    assert asked.status_code == 200 and "<h1>Revoke the API token test?</h1>" in asked.text
    assert (
        ja("Revoke the API token %(name)s?") % {"name": "test"}
        in http.get(f"/profile/tokens/{token.id}/revoke", headers=JA).text
    )
    bearer = {"Authorization": f"Bearer {raw}"}
    assert httpx.get(f"{base_url}/api/v1/me", headers=bearer).status_code == 200  # asking changed nothing

    done = http.post(f"/profile/tokens/{token.id}/revoke", data={"csrf_token": CSRF_TOKEN, "reason": "Old laptop"})
    assert done.status_code == 303 and done.headers["location"] == "/profile"
    assert banner(http.get("/profile").text) == "API token test revoked."
    assert httpx.get(f"{base_url}/api/v1/me", headers=bearer).status_code == 401
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke"))
    assert event is not None and event.data == {"user_id": user.id, "reason": "Old laptop"}
    assert "This token is already revoked." in http.get(f"/profile/tokens/{token.id}/revoke").text
    # Someone else's token is not found, whether asked about or posted to.
    other = make_user(Role.delegate, "JP")
    token_for(other)
    theirs = db.scalar(select(ApiToken.id).where(ApiToken.user_id == other.id))
    assert http.get(f"/profile/tokens/{theirs}/revoke").status_code == 404
    assert http.post(f"/profile/tokens/{theirs}/revoke", data={"csrf_token": CSRF_TOKEN}).status_code == 404


def test_signing_out_everywhere_says_so(browser_as, make_user) -> None:
    http = browser_as(make_user(Role.delegate, "US"))
    done = http.post("/profile/sign-out-everywhere", data={"csrf_token": CSRF_TOKEN})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert banner(http.get("/").text) == "You were signed out on every browser and device."


def test_onboarding_errors_keep_the_chosen_country(client: httpx.Client, db: Session) -> None:
    sign_in_via(client, "industry", "dave")  # the provider gives no organisation
    form = client.get("/auth/onboarding")
    token = _csrf_from(form.text)
    answer = client.post(
        "/auth/onboarding",
        data={"csrf_token": token, "organisation": "", "country": "AU"},
        headers=JA,
    )
    assert answer.status_code == 422
    message = ja("%(what)s is required") % {"what": ja("your organisation")}
    assert field_error(answer.text, "organisation") == message and message in error_summary(answer.text)
    assert 'aria-invalid="true"' in tag(answer.text, "organisation")
    assert '<option value="AU" selected>' in answer.text
    unknown = client.post("/auth/onboarding", data={"csrf_token": token, "organisation": "Radio", "country": "FR"})
    assert unknown.status_code == 422 and field_error(unknown.text, "country") == "choose a country from the list"
    assert 'value="Radio"' in tag(unknown.text, "organisation")
    assert db.scalar(select(User.id).where(User.email_key == "dave@radio.example.com")) is None
