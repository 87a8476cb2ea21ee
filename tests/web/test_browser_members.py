"""End-to-end in Debian's Chromium: an admin adds a new seller, who opens the emailed password
link in a browser of their own, chooses a password, signs in and creates an API token that
works; then the admin removes them, and the token stops working."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from accord.identity.models import Membership, Team
from accord.identity.services import api_token_authenticate

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_add_a_member_who_sets_a_password_makes_a_token_and_is_removed(
    sign_in_browser: Callable[[str], Any], admin: Membership, chromium: Any, live_server: Any
) -> None:
    ws = admin.workspace
    Team.objects.create(workspace=ws, name="Sales", kind="sales")
    page = sign_in_browser("admin@acme.example")
    page.click("nav >> text=Members")
    page.wait_for_url(f"{live_server.url}/settings/members/")
    page.click("#add-member")
    page.fill("input[name=email]", "sam@acme.example")
    page.fill("input[name=full_name]", "Sam <Seller>")
    page.select_option("select[name=role]", "sales_rep")
    page.select_option("select[name=team]", label="Sales")
    page.click("#member-form button[type=submit]")
    page.wait_for_selector("text=An email with a link to choose their password went to")
    (invitation,) = mail.outbox
    path = invitation.body.split("http://localhost:8000", 1)[1].split()[0]
    link = f"{live_server.url}{path}"
    member = Membership.objects.for_workspace(ws).get(user__email="sam@acme.example")
    assert (member.role, member.team.name, member.user.full_name) == (
        "sales_rep",
        "Sales",
        "Sam <Seller>",
    )

    # Sam's own browser.
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    sam = context.new_page()
    sam.goto(link)
    sam.fill("input[name=new_password1]", "Sam-chooses-1-long")
    sam.fill("input[name=new_password2]", "Sam-chooses-1-long")
    sam.click("button[type=submit]")
    sam.wait_for_selector("text=Your password is set.")
    sam.fill("input[name=username]", "sam@acme.example")
    sam.fill("input[name=password]", "Sam-chooses-1-long")
    sam.click("button[type=submit]")
    sam.wait_for_url(f"{live_server.url}/")
    sam.goto(f"{live_server.url}/settings/tokens/")
    sam.fill("input[name=name]", "dialer")
    sam.select_option("select[name=scope]", "write")
    sam.click("#token-form button[type=submit]")
    plain = sam.inner_text("#new-token code").strip()
    assert api_token_authenticate(plain) is not None
    sam.reload()
    assert sam.locator("#new-token").count() == 0  # shown once
    assert "dialer" in sam.inner_text("#my-tokens")
    context.close()

    # The admin removes Sam (confirming the dialog); the token stops working.
    page.goto(f"{live_server.url}/settings/members/{member.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#remove-member")
    page.wait_for_selector("text=was removed from the workspace")
    assert api_token_authenticate(plain) is None
    assert "sam@acme.example" not in page.inner_text("#members")
