"""Security defaults: the deployment check under production settings, password hashing,
cookies, the Content-Security-Policy, API tokens, API rate limits, sign-in throttling and
upload limits."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from accord.api import ratelimit
from accord.identity.models import ApiToken, Membership
from accord.identity.tests.factories import PASSWORD
from accord.web.views import auth as auth_views
from tests.api.conftest import Api, make_token
from tests.security.matrix import web_routes

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def _production_env(tmp_path: Path) -> dict[str, str]:
    # Nothing of the test run's environment that a deployment would not have.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ACCORD_", "DJANGO_")) and k != "PYTEST_XDIST_WORKER"
    }
    env.update(
        ACCORD_SECRET_KEY=secrets.token_urlsafe(50),
        ACCORD_ALLOWED_HOSTS="accord.example.com",
        ACCORD_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="accord.config.settings",
    )
    return env


def test_the_deployment_check_passes_under_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [PYTHON, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_harden_cookies_and_hash_with_argon2(tmp_path: Path) -> None:
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
        "'CSRF_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', "
        "'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'DEBUG')} | "
        "{'hasher': s.PASSWORD_HASHERS[0]}))"
    )
    result = subprocess.run(
        [PYTHON, "-c", script],
        env=_production_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "DEBUG": False,
        "hasher": "django.contrib.auth.hashers.Argon2PasswordHasher",
    }


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    del env["ACCORD_SECRET_KEY"]
    result = subprocess.run(
        [PYTHON, "-m", "django", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY is missing" in result.stderr


def test_passwords_are_stored_as_argon2(db: Any) -> None:
    from accord.identity.models import User

    user = User.objects.create_user(email="hash@example.com", password="a long passphrase")
    assert user.password.startswith("argon2$argon2id$")
    assert "a long passphrase" not in user.password


# --- Content-Security-Policy -----------------------------------------------------------------


def _pages_without_parameters() -> list[str]:
    return sorted(r for r in web_routes() if "{" not in r and r != "/logout/")


@pytest.mark.parametrize("path", _pages_without_parameters())
def test_every_page_carries_the_content_security_policy(path: str, admin: Membership) -> None:
    client = Client()
    client.force_login(admin.user)
    response = client.get(path)
    assert response.status_code in (200, 302, 405), response.status_code
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in policy.split(";"))
    )
    assert directives["default-src"] == "'self'"
    # The nonce is added only when a template asks for it ({{ csp_nonce }}); none needs it.
    assert directives["script-src"] == "'self'" or directives["script-src"].startswith(
        "'self' 'nonce-"
    )
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_no_page_template_has_an_inline_script_or_event_handler() -> None:
    """Inline scripts would need the request's nonce and inline handlers never run under the
    policy: the templates have neither."""
    offenders = []
    for template in (ROOT / "src" / "accord").rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for line_no, line in enumerate(text.splitlines(), 1):
            stripped = line.lower()
            inline_script = "<script" in stripped and "src=" not in stripped
            handler = any(f" on{e}=" in stripped for e in ("submit", "click", "load", "change"))
            if inline_script or handler:
                offenders.append(f"{template.relative_to(ROOT)}:{line_no}")
    assert offenders == []


def test_the_api_answers_carry_the_policy_too(admin: Membership) -> None:
    response = Client().get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# --- API tokens ----------------------------------------------------------------------------


def test_api_tokens_are_stored_hashed(admin: Membership) -> None:
    token, secret = make_token(admin)
    stored = ApiToken.objects.for_workspace(admin.workspace).get(pk=token.pk)
    values = " ".join(str(getattr(stored, f.attname)) for f in ApiToken._meta.concrete_fields)
    assert secret not in values
    # The random part whole: it may itself contain "_" (URL-safe base64), so split from the left.
    assert secret.split("_", 2)[2] not in values


# --- API rate limits -------------------------------------------------------------------------


@pytest.fixture
def fresh_cache() -> Any:
    """An empty cache, and the clock at the start of the next hour (ticking): the tests' windows
    (a minute or an hour) cannot end halfway through a test and restart its count."""
    now = dt.datetime.now(dt.UTC)
    cache.clear()
    with time_machine.travel(now.replace(minute=0, second=0) + dt.timedelta(hours=1), tick=True):
        yield
    cache.clear()


def test_the_rate_limit_answers_429_with_retry_after(
    admin: Membership, settings: Any, fresh_cache: None
) -> None:
    settings.ACCORD_API_RATE_LIMIT = "3/minute"
    api = Api(make_token(admin)[1])
    assert [api.get("/me").status for _ in range(3)] == [200, 200, 200]
    reply = api.get("/me")
    assert reply.status == 429
    assert reply.error["code"] == "throttled"
    assert reply.error["message"].startswith("Too many requests: the limit is 3/minute.")
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    # Another token of the same workspace has its own count.
    assert Api(make_token(admin, name="second")[1]).get("/me").status == 200


def test_the_rate_limit_counts_writes_and_refuses_them_before_they_run(
    admin: Membership, settings: Any, fresh_cache: None
) -> None:
    from accord.crm.models import Company

    settings.ACCORD_API_RATE_LIMIT = "2/hour"
    api = Api(make_token(admin)[1])
    assert api.post("/companies", {"name": "One"}).status == 201
    assert api.post("/companies", {"name": "Two"}).status == 201
    reply = api.post("/companies", {"name": "Three"})
    assert reply.status == 429
    assert 1 <= int(reply.headers["Retry-After"]) <= 3600
    names = set(Company.objects.for_workspace(admin.workspace).values_list("name", flat=True))
    assert names == {"One", "Two"}


def test_calls_without_a_token_are_counted_per_address(
    db: Any, settings: Any, fresh_cache: None
) -> None:
    settings.ACCORD_API_RATE_LIMIT = "2/minute"
    here, there = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
    statuses = [here.get("/api/v1/me").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert there.get("/api/v1/me").status_code == 401


def test_made_up_tokens_are_counted_per_address(
    admin: Membership, settings: Any, fresh_cache: None
) -> None:
    """A new invented token per request must not get a fresh counter each time; guesses at a
    real token's secret count against that token."""
    settings.ACCORD_API_RATE_LIMIT = "3/minute"
    here = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        here.get("/api/v1/me", headers={"Authorization": f"Bearer acc_{i:08x}_guess"}).status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    token, plain = make_token(admin)
    wrong = f"acc_{token.prefix}_not-the-secret"
    there = Client(REMOTE_ADDR="203.0.113.10")
    assert [
        there.get("/api/v1/me", headers={"Authorization": f"Bearer {wrong}"}).status_code
        for _ in range(3)
    ] == [401, 401, 401]
    assert Api(plain).get("/me").status == 429  # the real token's window is used up


def test_a_burst_of_junk_does_not_evict_the_sign_in_lock(
    admin: Membership, settings: Any, fresh_cache: None
) -> None:
    settings.ACCORD_API_RATE_LIMIT = "100000/minute"
    client = Client(REMOTE_ADDR="203.0.113.11")
    for _ in range(settings.ACCORD_LOGIN_MAX_FAILURES):
        client.post("/login/", {"username": admin.user.email, "password": "wrong-password"})
    for i in range(700):  # each a new cache entry: more than the old limit of 300
        Client(REMOTE_ADDR=f"198.51.{i // 250}.{i % 250}").get(
            "/api/v1/me", headers={"Authorization": f"Bearer junk{i}"}
        )
    locked = client.post("/login/", {"username": admin.user.email, "password": PASSWORD})
    assert locked.status_code == 429


def test_the_window_ends_when_retry_after_says(db: Any, settings: Any, fresh_cache: None) -> None:
    from django.test import RequestFactory

    settings.ACCORD_API_RATE_LIMIT = "1/minute"
    request = RequestFactory().get("/api/v1/me", REMOTE_ADDR="198.51.100.1")
    start = 6_000_000.0 + 15  # 15 s into a minute window
    assert ratelimit.check(request, now=start) is None
    assert ratelimit.check(request, now=start + 1) == 44
    assert ratelimit.check(request, now=start + 45) is None  # the next window


def test_the_rate_limit_can_be_switched_off(
    admin: Membership, settings: Any, fresh_cache: None
) -> None:
    settings.ACCORD_API_RATE_LIMIT = "off"
    api = Api(make_token(admin)[1])
    assert {api.get("/me").status for _ in range(30)} == {200}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("600/minute", (600, 60)), ("10/second", (10, 1)), ("5000/hours", (5000, 3600)),
     ("1/day", (1, 86400)), ("off", None), ("OFF", None)],
)  # fmt: skip
def test_rate_values(text: str, parsed: Any) -> None:
    assert ratelimit.parse_rate(text) == parsed


@pytest.mark.parametrize("text", ["600", "x/minute", "10/fortnight", "-1/minute"])
def test_bad_rate_values_are_refused_with_the_format(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="ACCORD_API_RATE_LIMIT"):
        ratelimit.parse_rate(text)


def test_the_openapi_document_lists_429(db: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operations = [op for methods in schema["paths"].values() for op in methods.values()]
    assert operations
    assert all("429" in op["responses"] for op in operations)


# --- sign-in throttling ----------------------------------------------------------------------


def _sign_in(client: Client, email: str, password: str) -> Any:
    return client.post(reverse("web:login"), {"username": email, "password": password})


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_failed_sign_ins_lock_the_account_for_the_window(
    member_factory: Any, settings: Any, fresh_cache: None, fast_hashing: None, monkeypatch: Any
) -> None:
    settings.ACCORD_LOGIN_MAX_FAILURES = 3
    settings.ACCORD_LOGIN_WINDOW_SECONDS = 600
    member = member_factory("sales_rep", email="rep@acme.example")
    now = [1_000_000.0]
    monkeypatch.setattr(auth_views, "_now", lambda: now[0])
    client = Client(REMOTE_ADDR="192.0.2.1")
    statuses = [_sign_in(client, "rep@acme.example", "wrong").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]  # the form again, with its error
    # The right password is refused too while the account is locked, with a clear message.
    response = _sign_in(client, "REP@acme.example", PASSWORD)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "600"
    assert (
        "Too many failed sign-ins for this account or from this address. Try again in 10 "
        "minutes." in response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    # Another address does not help: the account itself is locked.
    assert (
        _sign_in(Client(REMOTE_ADDR="192.0.2.99"), member.user.email, PASSWORD).status_code == 429
    )
    now[0] += 601
    response = _sign_in(client, "rep@acme.example", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(member.user.pk)


def test_one_address_failing_on_many_accounts_is_locked(
    db: Any, settings: Any, fresh_cache: None, fast_hashing: None, member_factory: Any
) -> None:
    settings.ACCORD_LOGIN_MAX_FAILURES = 100
    settings.ACCORD_LOGIN_MAX_FAILURES_PER_IP = 4
    member = member_factory("viewer", email="viewer@acme.example")
    client = Client(REMOTE_ADDR="192.0.2.50")
    for n in range(4):
        assert _sign_in(client, f"guess{n}@acme.example", "wrong").status_code == 200
    assert _sign_in(client, member.user.email, PASSWORD).status_code == 429
    assert (
        _sign_in(Client(REMOTE_ADDR="192.0.2.51"), member.user.email, PASSWORD).status_code == 302
    )


def test_a_successful_sign_in_clears_the_account_count(
    member_factory: Any, settings: Any, fresh_cache: None, fast_hashing: None
) -> None:
    settings.ACCORD_LOGIN_MAX_FAILURES = 3
    member = member_factory("marketer", email="mk@acme.example")
    client = Client(REMOTE_ADDR="192.0.2.2")
    for _ in range(2):
        _sign_in(client, member.user.email, "wrong")
    assert _sign_in(client, member.user.email, PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _sign_in(client, member.user.email, "wrong")
    assert _sign_in(client, member.user.email, PASSWORD).status_code == 302
