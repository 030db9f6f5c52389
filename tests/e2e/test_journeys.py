"""Journeys people take, in a real browser. Run in file order: the last test checks route coverage."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute
from playwright.sync_api import expect

from tests.e2e.conftest import Journey, Visits


def test_delegate_signs_in_opens_group_switches_language_and_signs_out(journey: Journey) -> None:
    journey.sign_in("U.S. Government Login", "alice")
    page = journey.page
    expect(page.locator("header")).to_contain_text("Alice Walker")
    journey.click("text=Semiconductors Working Group")
    expect(page.locator("h1")).to_have_text("Semiconductors Working Group")
    expect(page.locator("main")).to_contain_text("Alice Walker")

    page.select_option("#language-select", "ja")
    journey.click("footer button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert "Skip to main content" not in page.content()

    page.select_option("#language-select", "en")
    journey.click("footer button[type=submit]")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    journey.goto("/profile")
    expect(page.locator("h1")).to_have_text("Profile")
    with page.expect_navigation(url=re.compile(".*")):
        page.click("header button[type=submit]")  # Sign out: via the provider's end-session page
    page.wait_for_load_state()
    journey.goto("/")
    expect(page.locator("header")).to_contain_text("Sign in")


def test_industry_registration_is_approved_by_the_secretariat(journey: Journey, browser, e2e_base_url, visits) -> None:
    page = journey.page
    journey.sign_in("Industry Login", "dave")
    expect(page.locator("h1")).to_have_text("Complete your registration")
    page.fill("#organisation", "Radio Works Pty Ltd")
    page.select_option("#country", "AU")
    journey.click("main button[type=submit]")
    expect(page.locator("main")).to_contain_text("Your registration is waiting for approval")

    officer_context = browser.new_context(locale="en-US")
    officer = Journey(officer_context.new_page(), e2e_base_url, visits)
    officer.sign_in("Quad Secretariat Login", "sec")
    officer.goto("/admin/approvals")
    expect(officer.page.locator("main")).to_contain_text("dave@radio.example.com")
    officer.click("button[aria-label='Approve Dave Diaz']")
    expect(officer.page.locator("main")).not_to_contain_text("dave@radio.example.com")
    officer_context.close()

    journey.goto("/profile")
    expect(page.locator("main")).not_to_contain_text("waiting for approval")
    journey.goto("/")
    expect(page.locator("h1")).to_be_visible()


def test_every_html_route_is_visited_by_a_journey(app: FastAPI, visits: Visits) -> None:
    """New pages cannot skip the accessibility check: each GET page route must match a visited path."""
    from tests.auth.test_access_matrix import _flatten

    page_routes = [
        path for path, route in _flatten(app.routes)
        if isinstance(route, APIRoute) and "GET" in route.methods and not route.include_in_schema
    ]
    unvisited = []
    for template in page_routes:
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        if not any(pattern.match(path) for path in visits.paths):
            unvisited.append(template)
    # Redirect-only routes are passed through during sign-in, never rendered.
    assert set(unvisited) <= {"/auth/login/{name}", "/auth/callback/{name}"}, f"pages no journey visits: {unvisited}"
    assert not visits.violations
