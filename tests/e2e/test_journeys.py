"""Journeys people take, in a real browser. Run in file order: the last test checks route coverage."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute
from playwright.sync_api import expect

from tests.e2e.conftest import AXE_SOURCE, Journey, Visits


def test_delegate_signs_in_opens_group_switches_language_and_signs_out(journey: Journey) -> None:
    journey.sign_in("U.S. Government Login", "alice")
    page = journey.page
    expect(page.locator("header")).to_contain_text("Alice Walker")
    journey.click("text=Semiconductors Working Group")
    expect(page.locator("h1")).to_have_text("Semiconductors Working Group")
    expect(page.locator("main")).to_contain_text("Alice Walker")

    here = page.url
    journey.click("header a[hreflang=ja]")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    assert page.url == here, "the language link comes back to the same page"
    assert "Skip to main content" not in page.content()

    journey.click("header a[hreflang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    journey.goto("/profile")
    expect(page.locator("h1")).to_have_text("Profile")
    # A new API token: 90 days proposed, shown once with a copy button (static/copy.js) and a curl example.
    expect(page.locator("#token-days")).to_have_value("90")
    page.fill("#token-name", "journey laptop")
    journey.click("button:has-text('Create token')")
    token = page.locator("#new-token code").inner_text()
    assert token.startswith("qd_")
    expect(page.locator("#curl-example")).to_contain_text(f"Bearer {token}")
    expect(page.locator("main .success-banner")).to_contain_text("API token journey laptop created.")
    copy = page.locator("button[data-copy-target=new-token]")
    expect(copy).to_be_visible()
    copy.click()
    page.wait_for_function(
        "t => document.querySelector('[data-copy-target]').textContent === 'Copied'"
        " || window.getSelection().toString().trim() === t",
        arg=token,
    )
    # The API reference renders the app's own description from our own files. axe checks our page around it;
    # Swagger UI's own rendering is left out: its operation summaries nest buttons and its method badges are low
    # contrast (third-party markup, reported in issue 9), which would fail every run.
    page.goto(journey.base_url + "/api/docs")
    expect(page.locator("h1")).to_have_text("API reference")
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible(timeout=20000)
    expect(page.locator("#swagger-ui")).to_contain_text("/api/v1/documents")
    journey.visits.paths.add("/api/docs")
    page.evaluate(AXE_SOURCE.read_text())
    serious = page.evaluate(
        "async () => (await axe.run({exclude: [['#swagger-ui']]}, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id)"
    )
    assert not serious, f"axe found on /api/docs: {serious}"

    journey.goto("/profile")
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


def test_delegate_shares_a_document_versions_it_compares_and_marks_it(journey: Journey, tmp_path) -> None:
    page = journey.page
    journey.sign_in("U.S. Government Login", "alice")
    journey.goto("/groups/semiconductors")
    journey.click("main a:has-text('Documents')")
    journey.click("text=Upload a document")
    first = tmp_path / "plan.md"
    first.write_text("# Fab plan\n\nFoundries in four countries.\n\nShared stress tests.\n")
    page.fill("#title", "Joint fab plan")
    page.select_option("#visibility", "quad")
    page.set_input_files("#file", str(first))
    journey.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Joint fab plan")

    second = tmp_path / "plan-v2.md"
    second.write_text("# Fab plan\n\nFoundries in five countries.\n\nShared stress tests.\n")
    page.set_input_files("#file", str(second))
    page.fill("#note", "Adds a fifth country")
    journey.click("text=Upload version")
    expect(page.locator("main")).to_contain_text("Adds a fifth country")
    journey.click("text=Changes from version 1")
    expect(page.locator(".redline del")).to_contain_text("four")
    expect(page.locator(".redline ins")).to_contain_text("five")
    journey.click("text=Show side by side")
    expect(page.locator("table.redline-side")).to_be_visible()

    journey.goto(page.url.split("/compare")[0][len(journey.base_url) :])
    journey.click("text=Edit details and marking")
    page.check("#controlled")
    page.select_option("#category", "semiconductors")
    page.fill("#control_code", "3E001")
    page.check("#release-US")
    journey.click("main button[type=submit]")
    expect(page.locator(".marking")).to_contain_text("EXPORT-CONTROLLED")
    with page.expect_download() as download:
        page.click("text=plan-v2.md")
    assert download.value.suggested_filename == "plan-v2.md"


def test_other_country_sees_the_marking_but_cannot_download(journey: Journey) -> None:
    page = journey.page
    journey.sign_in("Japan Government Login", "hanako")
    journey.goto("/groups/semiconductors/documents")
    journey.click("text=Joint fab plan")
    expect(page.locator(".marking")).to_contain_text("EXPORT-CONTROLLED")
    expect(page.locator("main a:has-text('plan-v2.md')")).to_have_count(0)
    document_path = page.url[len(journey.base_url) :]
    response = page.goto(journey.base_url + document_path + "/versions/2/file")
    assert response is not None and response.status == 403
    journey.check()
    expect(page.locator("h1")).to_have_text("You do not have access")


def test_member_hears_of_the_new_document_marks_it_read_and_asks_for_email(journey: Journey) -> None:
    """Alice's upload above told Hanako, a member of the group: the bell counts it in words, the list marks it
    unread, a button (a form, no script) marks it read, and the settings page chooses email for such news."""
    page = journey.page
    journey.sign_in("Japan Government Login", "hanako")
    bell = page.locator("header a.bell")
    expect(bell).to_contain_text("1 unread")
    journey.click("header a.bell")
    expect(page.locator("h1")).to_have_text("Notifications")
    item = page.locator("main li.notification").first
    expect(item).to_contain_text("Unread")
    expect(item).to_contain_text("New document in Semiconductors Working Group: Joint fab plan")
    journey.click("main li.notification button:has-text('Mark as read')")
    expect(page.locator("main .success-banner")).to_contain_text("marked as read")
    expect(page.locator("main li.notification").first).to_contain_text("Read")
    expect(bell).not_to_contain_text("unread")

    journey.click("text=Choose how you are notified")
    expect(page.locator("h1")).to_have_text("Notification settings")
    page.get_by_role("group", name="A document is added to one of my working groups").get_by_label(
        "In the app and by email"
    ).check()
    journey.click("main button[type=submit]")
    expect(page.locator("main .success-banner")).to_contain_text("Your notification settings are saved.")
    expect(page.locator("#channel-document-added-email")).to_be_checked()


def test_delegate_marks_at_upload_and_the_screening_list_warns_about_an_unmarked_file(
    journey: Journey, tmp_path, browser, e2e_base_url, visits
) -> None:
    page = journey.page
    journey.sign_in("U.S. Government Login", "alice")
    journey.goto("/groups/semiconductors/documents/new")
    unmarked = tmp_path / "litho.txt"
    unmarked.write_text("Roadmap for EUV lithography tools.\n\nSources for extreme ultraviolet exposure.\n")
    page.fill("#title", "Lithography tool roadmap")
    page.set_input_files("#file", str(unmarked))
    journey.click("main button[type=submit]")
    expect(page.locator("#screening-warning")).to_contain_text("EUV lithography")
    journey.click("#screening-warning a:has-text('Edit details and marking')")
    expect(page.locator("h1")).to_have_text("Edit document")

    # A marking without its category: the form comes back GOV.UK-style. The summary's link takes focus to the
    # field, and what was typed and ticked is still there.
    journey.goto("/groups/semiconductors/documents/new")
    expect(page.locator("#file-hint")).to_contain_text("Files up to 50 MB")
    marked = tmp_path / "marked.txt"
    marked.write_text("Tool list for the joint review.\n")
    page.fill("#title", "Marked from the first byte")
    page.check("#controlled")
    page.fill("#control_code", "3B001")
    page.check("#release-US")
    page.set_input_files("#file", str(marked))
    journey.click("main button[type=submit]")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(page.locator("#category-error")).to_contain_text("needs a category")
    expect(page.locator("#category")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#title")).to_have_value("Marked from the first byte")
    expect(page.locator("#control_code")).to_have_value("3B001")
    expect(page.locator("#controlled")).to_be_checked()
    expect(page.locator("#release-US")).to_be_checked()
    summary.locator("a[href='#category']").click()
    expect(page.locator("#category")).to_be_focused()
    page.select_option("#category", "semiconductors")
    page.set_input_files("#file", str(marked))  # a browser never sends a file a second time
    journey.click("main button[type=submit]")
    expect(page.locator(".success-banner")).to_contain_text("The document “Marked from the first byte” was added.")
    expect(page.locator(".marking")).to_contain_text("EXPORT-CONTROLLED")
    expect(page.locator("#screening-warning")).to_have_count(0)
    marked_path = page.url[len(journey.base_url) :]

    # Withdrawing asks first, with a reason for the audit trail; only the secretariat may reinstate.
    journey.click("text=Withdraw this document")
    expect(page.locator("h1")).to_have_text("Withdraw “Marked from the first byte”?")
    page.fill("#reason", "Replaced by the joint list")
    journey.click("text=Yes, withdraw it")
    expect(page.locator(".success-banner")).to_contain_text("was withdrawn")
    expect(page.locator("main")).to_contain_text("Withdrawn on")
    expect(page.locator("main a:has-text('Reinstate this document')")).to_have_count(0)

    officer_context = browser.new_context(locale="en-US")
    officer = Journey(officer_context.new_page(), e2e_base_url, visits)
    officer.sign_in("Quad Secretariat Login", "sec")
    officer.goto("/admin/screening")
    expect(officer.page.locator("main")).to_contain_text("Lithography tool roadmap")
    expect(officer.page.locator("main")).not_to_contain_text("Marked from the first byte")
    officer.goto(marked_path)
    officer.click("text=Reinstate this document")
    expect(officer.page.locator("h1")).to_have_text("Reinstate “Marked from the first byte”?")
    officer.page.fill("#reason", "The joint list is not agreed yet")
    officer.click("text=Yes, reinstate it")
    expect(officer.page.locator(".success-banner")).to_contain_text("was reinstated")
    expect(officer.page.locator("main")).not_to_contain_text("Withdrawn on")
    officer_context.close()


def test_secretariat_creates_a_group_and_adds_a_member(journey: Journey) -> None:
    page = journey.page
    journey.sign_in("Quad Secretariat Login", "sec")
    journey.goto("/")
    journey.click("text=New working group")
    page.fill("#name", "Quantum Working Group")
    page.fill("#slug", "quantum")
    page.fill("#technology_area", "quantum")
    page.fill("#charter", "Research security for **quantum** technologies.")
    journey.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Quantum Working Group")
    expect(page.locator("main .success-banner")).to_contain_text("Working group Quantum Working Group created.")
    page.select_option("#user_id", label="Hanako Yamada — Japan")
    page.select_option("#role", "chair")
    journey.click("text=Add member")
    expect(page.locator("main .success-banner")).to_contain_text("Hanako Yamada was added.")
    expect(page.locator("main table")).to_contain_text("Hanako Yamada")


def test_a_phone_sized_screen_keyboard_focus_and_error_pages(journey: Journey, browser, e2e_base_url, visits) -> None:
    """At 375 px the pages fit (tables become cards), the header's focus ring stands out from the header, and
    error pages keep the signed-in header; in English and Japanese, each page checked with axe."""
    journey.sign_in("U.S. Government Login", "alice")
    page = journey.page
    page.set_viewport_size({"width": 375, "height": 800})
    for language in ("en", "ja"):
        journey.goto(f"/language?lang={language}&next=/groups/semiconductors/documents")
        expect(page.locator("html")).to_have_attribute("lang", language)
        for path in ("/", "/groups/semiconductors", "/groups/semiconductors/documents", "/profile"):
            journey.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} ({language}) is {width}px wide at 375px"
        journey.goto("/groups/semiconductors/documents")
        cell = page.locator("table.cards-on-small tbody td").first
        expect(cell).to_be_visible()
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert label.strip('"') in ("Title", "件名", "タイトル", "表題"), label
        assert cell.evaluate("td => getComputedStyle(td).display") == "block"
        journey.goto(page.locator("table.cards-on-small tbody td a").first.get_attribute("href") or "/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the document page ({language}) is {width}px wide at 375px"

        journey.goto("/no-such-page")
        expect(page.locator("header")).to_contain_text("Alice Walker")
        assert "Not Found" not in page.locator("main").inner_text()

    # Keyboard focus on the header: the ring's colour against the header's background, at least 3:1.
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the site name in the header
    ring = page.evaluate(
        "() => { const a = document.activeElement; const s = getComputedStyle(a);"
        " return {inHeader: !!a.closest('header'), style: s.outlineStyle, width: parseFloat(s.outlineWidth),"
        " colour: s.outlineColor, band: getComputedStyle(document.querySelector('header')).backgroundColor}; }"
    )
    assert ring["inHeader"] and ring["style"] == "solid" and ring["width"] >= 2, ring
    assert _contrast(ring["colour"], ring["band"]) >= 3, ring
    journey.goto("/language?lang=en&next=/")


def _contrast(a: str, b: str) -> float:
    def luminance(css: str) -> float:
        r, g, b_ = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b_)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_admin_finds_a_delegate_and_disables_them_after_confirming(journey: Journey) -> None:
    page = journey.page
    journey.sign_in("Quad Secretariat Login", "ada")
    journey.goto("/")
    expect(page.locator("section[aria-labelledby=secretariat-today]")).to_contain_text("waiting for approval")
    journey.click("text=Find people and change accounts")
    page.fill("#f-q", "hanako")
    page.select_option("#f-role", "delegate")
    journey.click("main form[role=search] button[type=submit]")
    expect(page.locator("main table")).to_contain_text("hanako@mofa.example.go.jp")
    journey.click("main table >> text=Hanako Yamada")
    page.select_option("#status", "disabled")
    page.fill("#reason", "Left the delegation")
    journey.click("text=Save changes")
    expect(page.locator("h1")).to_have_text("Are you sure?")
    journey.click("text=Yes, make the change")
    expect(page.locator("main [role=status]")).to_contain_text("The account of Hanako Yamada was changed.")
    expect(page.locator("main")).to_contain_text("Left the delegation")
    page.select_option("#status", "active")
    page.fill("#reason", "Back in the delegation")
    journey.click("text=Save changes")
    expect(page.locator("main")).to_contain_text("Back in the delegation")


def test_secretariat_removes_a_member_after_confirming_with_a_reason(journey: Journey) -> None:
    """The manage page's Remove link asks first, on a page of its own; the reason is kept and the change shown."""
    page = journey.page
    journey.sign_in("Quad Secretariat Login", "sec")
    journey.goto("/groups/quantum/manage")
    journey.click("a[aria-label='Remove Hanako Yamada']")
    expect(page.locator("h1")).to_have_text("Remove Hanako Yamada from Quantum Working Group?")
    journey.click("text=No, keep them")
    expect(page.locator("main table")).to_contain_text("Hanako Yamada")
    journey.click("a[aria-label='Remove Hanako Yamada']")
    page.fill("#reason", "Chairs the semiconductors group instead")
    journey.click("text=Yes, remove them")
    expect(page.locator("h1")).to_have_text("Manage Quantum Working Group")
    expect(page.locator("main .success-banner")).to_contain_text("Hanako Yamada was removed from the working group.")
    expect(page.locator("main table")).not_to_contain_text("Hanako Yamada")
    journey.goto("/groups/quantum")
    expect(page.locator("#activity ~ ul")).to_contain_text("A member left")


def test_industry_registration_is_rejected_with_a_reason(journey: Journey, browser, e2e_base_url, visits) -> None:
    page = journey.page
    journey.sign_in("Industry Login", "carol")
    page.fill("#organisation", "ChipCo")
    page.select_option("#country", "US")
    journey.click("main button[type=submit]")

    officer_context = browser.new_context(locale="en-US")
    officer = Journey(officer_context.new_page(), e2e_base_url, visits)
    officer.sign_in("Quad Secretariat Login", "sec")
    officer.goto("/admin/approvals")
    officer.click("a[aria-label='Reject Carol Chen']")
    expect(officer.page.locator("h1")).to_have_text("Reject the registration of Carol Chen?")
    officer.page.fill("#reason", "Not a company of a Quad country")
    officer.click("text=Yes, reject the registration")
    expect(officer.page.locator("main .success-banner")).to_contain_text("The registration of Carol Chen was rejected.")
    expect(officer.page.locator("#decisions ~ ul")).to_contain_text("Not a company of a Quad country")
    officer_context.close()


def test_admin_change_with_an_error_then_revokes_a_token_from_the_console(journey: Journey) -> None:
    """A change without a reason comes back with the error summary and the message beside the field, the chosen
    role kept; then the change, and a token revoked with a reason after confirming."""
    page = journey.page
    journey.sign_in("Quad Secretariat Login", "ada")
    journey.goto("/admin/users?q=alice")
    journey.click("main table >> text=Alice Walker")
    page.select_option("#role", "observer")
    journey.click("text=Save changes")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.locator("a[href='#reason']")).to_contain_text("give a reason for the change")
    expect(page.locator("#reason-error")).to_contain_text("give a reason for the change")
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#role")).to_have_value("observer")
    summary.locator("a[href='#reason']").click()
    expect(page.locator("#reason")).to_be_focused()
    page.fill("#reason", "Observes this year")
    journey.click("text=Save changes")
    expect(page.locator("main .success-banner")).to_contain_text("The account of Alice Walker was changed.")
    page.select_option("#role", "delegate")
    page.fill("#reason", "Back in the delegation")
    journey.click("text=Save changes")
    expect(page.locator("main")).to_contain_text("Back in the delegation")

    journey.click("a[aria-label='Revoke token journey laptop']")
    expect(page.locator("h1")).to_have_text("Revoke the API token journey laptop?")
    page.fill("#reason", "Laptop replaced")
    journey.click("text=Yes, revoke the token")
    expect(page.locator("main .success-banner")).to_contain_text("API token journey laptop revoked.")
    expect(page.locator("#tokens ~ table")).to_contain_text("Revoked")


def test_delegate_opens_the_revoke_page_of_a_token_and_keeps_it(journey: Journey) -> None:
    page = journey.page
    journey.sign_in("U.S. Government Login", "alice")
    journey.goto("/profile")
    page.fill("#token-name", "desk")
    journey.click("button:has-text('Create token')")
    journey.click("a[aria-label='Revoke token desk']")
    expect(page.locator("h1")).to_have_text("Revoke the API token desk?")
    journey.click("text=No, keep it")
    expect(page.locator("h1")).to_have_text("Profile")
    expect(page.locator("a[aria-label='Revoke token desk']")).to_be_visible()


def test_chair_schedules_a_meeting_builds_and_publishes_the_agenda_and_answers(journey: Journey) -> None:
    """Create a meeting, add items, reorder them (with JavaScript), publish the agenda, answer the invitation,
    and write, publish and compare the minutes."""
    page = journey.page
    journey.sign_in("U.S. Government Login", "alice")
    journey.goto("/groups/semiconductors")
    journey.click("main a:has-text('Meetings')")
    expect(page.locator("h1")).to_have_text("Meetings of Semiconductors Working Group")
    journey.click("text=Schedule a meeting")
    page.fill("#title", "Supply chain principles, round 4")
    page.select_option("#time_zone", "Asia/Tokyo")
    page.fill("#start_date", "2030-03-14")
    page.fill("#start_time", "09:00")
    page.fill("#end_date", "2030-03-14")
    page.fill("#end_time", "08:00")
    page.select_option("#host_country", "JP")
    page.check("#mode-hybrid")
    page.fill("#venue", "Ministry of Foreign Affairs, Tokyo")
    page.fill("#join_link", "https://meet.example.gov/round-4")
    journey.click("main button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("the meeting must end after it starts")
    expect(page.locator("#title")).to_have_value("Supply chain principles, round 4")
    page.fill("#end_time", "11:00")
    journey.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Supply chain principles, round 4")
    # 09:00 in Tokyo is 20:00 the evening before in Washington, Alice's clock (daylight time from 10 March).
    expect(page.locator("main")).to_contain_text("EDT")
    expect(page.locator("main")).to_contain_text("https://meet.example.gov/round-4")

    for title, presenter, minutes in (("Opening", "", "10"), ("Report from Japan", "country:JP", "120")):
        journey.click("text=Add an agenda item")
        page.fill("#title", title)
        if presenter:
            page.select_option("#presenter", presenter)
        page.fill("#minutes", minutes)
        journey.click("main button[type=submit]")
        expect(page.locator("main .success-banner")).to_contain_text(f"Agenda item {title} added.")
    expect(page.locator("main .warning")).to_contain_text("overruns the meeting by 10 minutes")
    # static/agenda.js moves the item in place, and the keyboard focus stays on it.
    page.click("#agenda-items li:nth-child(2) button:has-text('Move up')")
    expect(page.locator("#agenda-items > li").first.locator("h3")).to_contain_text("Report from Japan")
    journey.check()
    journey.click("#agenda-items > li:first-child a:has-text('Change')")
    page.fill("#minutes", "90")
    journey.click("main button[type=submit]")
    expect(page.locator("main .warning")).to_have_count(0)
    journey.click("text=Change the meeting")
    expect(page.locator("#time_zone")).to_have_value("America/New_York")
    journey.click("main button[type=submit]")
    journey.click("text=Publish the agenda")
    expect(page.locator("main .success-banner")).to_contain_text("The agenda was published.")
    expect(page.locator("main")).to_contain_text("Published agenda")
    page.check("#answer-online")
    journey.click("text=Send my answer")
    expect(page.locator("main .success-banner")).to_contain_text("Your answer was saved.")
    expect(page.get_by_role("table", name="Answers by delegation")).to_contain_text("Attending online")
    # Minutes: two revisions appended, the second published, and the change between them marked in text.
    journey.click("text=Write and publish the minutes")
    page.fill("#text", "Opening.\n\nThe group agreed on the principles.")
    journey.click("text=Save as a new revision")
    expect(page.locator("main .success-banner")).to_contain_text("Revision 1 of the minutes was saved as a draft.")
    page.fill("#text", "Opening.\n\nThe group adopted the principles.")
    journey.click("text=Save as a new revision")
    journey.click("text=Publish revision 2")
    expect(page.locator("main .success-banner")).to_contain_text("Revision 2 of the minutes was published.")
    journey.click("text=Compare with revision 1")
    expect(page.locator("#minutes-redline ins")).to_contain_text("[inserted: adopted")
    expect(page.locator("#minutes-redline del")).to_contain_text("[deleted: agreed")
    journey.goto("/")
    expect(page.locator("#upcoming-meetings + ul")).to_contain_text("Supply chain principles, round 4")
    journey.goto("/groups/semiconductors/meetings?when=past")
    expect(page.locator("main")).to_contain_text("No past meetings.")
    journey.goto("/groups/semiconductors/meetings?month=2030-03")
    expect(page.locator("table.month")).to_contain_text("Supply chain principles, round 4")


def test_delegate_finds_a_time_for_a_series_and_corrects_a_mistake(journey: Journey) -> None:
    page = journey.page
    journey.sign_in("U.S. Government Login", "alice")
    journey.goto("/groups/semiconductors/find-a-time")
    expect(page.locator("h1")).to_have_text("Find a time")
    expect(page.locator("#hours_from")).to_have_value("08:00")
    page.fill("#date_from", "2026-03-02")
    page.fill("#date_to", "2026-03-04")
    page.fill("#length", "60")
    page.fill("#meetings", "5")
    journey.click("main form button[type=submit]")
    # Five meetings in three days: the summary links to the field, which says why and keeps what was typed.
    expect(page.locator(".error-summary")).to_contain_text("at most one meeting a day: choose 3 or fewer")
    page.click(".error-summary a[href='#meetings']")
    expect(page.locator("#meetings")).to_be_focused()
    expect(page.locator("#meetings")).to_have_value("5")
    page.fill("#meetings", "3")
    journey.click("main form button[type=submit]")
    expect(page.locator("#best")).to_have_text("Best times")
    best = page.locator("table", has=page.locator("caption", has_text="The best times"))
    expect(best.locator("tbody tr")).to_have_count(10)
    expect(best.locator("thead")).to_contain_text("New Delhi")
    series = page.locator("table", has=page.locator("caption", has_text="The proposed series"))
    expect(series.locator("tbody tr")).to_have_count(3)
    expect(page.locator("svg[role=img] desc")).to_contain_text("Canberra:")
    expect(page.locator("main")).to_contain_text("Outside working hours by")


def test_delegate_subscribes_to_her_meetings_then_revokes_the_address(journey: Journey) -> None:
    """The personal calendar feed from the profile (read without a session), and the four capitals' clocks."""
    page = journey.page
    journey.sign_in("U.S. Government Login", "alice")
    journey.goto("/profile")
    journey.click("main a:has-text('Subscribe to your meetings')")
    expect(page.locator("h1")).to_have_text("Your calendar feed")
    journey.click("main button:has-text('Make a feed address')")
    address = page.locator("#new-feed-url code").inner_text().strip()
    feed = httpx.get(address, timeout=30)  # as a calendar program: no cookie
    assert feed.status_code == 200 and feed.content.startswith(b"BEGIN:VCALENDAR")
    journey.click("main button:has-text('Revoke the address')")
    expect(page.locator("main .success-banner")).to_contain_text("was revoked")
    assert httpx.get(address, timeout=30).status_code == 404

    journey.goto("/groups/semiconductors/meetings/new")
    page.fill("#title", "Calendar check")
    page.select_option("#time_zone", "America/New_York")
    for field, value in (("start_date", "2031-03-07"), ("start_time", "09:00"), ("end_date", "2031-03-07")):
        page.fill(f"#{field}", value)
    page.fill("#end_time", "10:00")
    page.select_option("#host_country", "US")
    page.check("#mode-virtual")
    page.fill("#join_link", "https://meet.example.gov/calendar-check")
    journey.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("Calendar check")
    strip = page.locator("table", has=page.locator("caption", has_text="local times in Washington"))
    expect(strip.locator("tbody th[scope=row]")).to_have_text(["Washington", "Tokyo", "Canberra", "New Delhi"])
    expect(page.locator("main a:has-text('Add to your calendar')")).to_have_attribute("href", re.compile(r"\.ics$"))


def test_every_html_route_is_visited_by_a_journey(app: FastAPI, visits: Visits) -> None:
    """New pages cannot skip the accessibility check: each GET page route must match a visited path."""
    from tests.auth.test_access_matrix import _flatten

    page_routes = [
        path
        for path, route in _flatten(app.routes)
        if isinstance(route, APIRoute) and "GET" in route.methods and not route.include_in_schema
    ]
    unvisited = []
    for template in page_routes:
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        if not any(pattern.match(path) for path in visits.paths):
            unvisited.append(template)
    # Redirect-only routes are passed through during sign-in, never rendered; files are downloads, not pages (the
    # API reference's script and stylesheet are loaded by /api/docs, which a journey visits).
    not_pages = {
        "/auth/login/{name}",
        "/auth/callback/{name}",
        "/documents/{document_id}/versions/{number}/file",
        "/language",  # redirects back to the page it was clicked on
        "/favicon.ico",
        "/api/docs/assets/{name}",
        # calendar files, fetched by calendar programs (tests/meetings/test_feeds.py parses them)
        "/meetings/{meeting_id}.ics",
        "/groups/{slug}/meetings.ics",
        "/calendar/{secret}.ics",
    }
    assert set(unvisited) <= not_pages, f"pages no journey visits: {sorted(set(unvisited) - not_pages)}"
    assert not visits.violations
