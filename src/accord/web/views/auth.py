"""Sign-in and sign-out: Django's auth views with Accord's templates, and sign-in throttling.

Failed sign-ins are counted in the cache per account (the email, case-insensitive) and per
client address within ACCORD_LOGIN_WINDOW_SECONDS. Once an account has
ACCORD_LOGIN_MAX_FAILURES failures, or an address ACCORD_LOGIN_MAX_FAILURES_PER_IP, every
sign-in for it is refused (429, even with the right password) until the window has passed;
a successful sign-in clears the account's count."""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy

from accord.identity.audit_sign_ins import sign_in_throttled
from accord.web.forms import EmailAuthenticationForm

_PREFIX = "accord-login-failures"


def _now() -> float:
    return time.time()


def _keys(request: HttpRequest) -> tuple[str, str]:
    email = str(request.POST.get("username", "")).strip().lower()
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{_PREFIX}:account:{account}", f"{_PREFIX}:ip:{request.META.get('REMOTE_ADDR', '')}"


def _failures(key: str) -> tuple[int, float]:
    entry = cache.get(key)
    if not entry:
        return 0, 0.0
    return int(entry[0]), float(entry[1])


def _record_failure(key: str) -> None:
    count, started = _failures(key)
    now = _now()
    window = settings.ACCORD_LOGIN_WINDOW_SECONDS
    if not count or now - started >= window:
        count, started = 0, now
    remaining = max(1, math.ceil(started + window - now))
    cache.set(key, (count + 1, started), timeout=remaining)


def locked_for(request: HttpRequest) -> int:
    """Seconds until a sign-in from this request may be tried again (0: it may now)."""
    account_key, ip_key = _keys(request)
    window = settings.ACCORD_LOGIN_WINDOW_SECONDS
    wait = 0
    for key, limit in (
        (account_key, settings.ACCORD_LOGIN_MAX_FAILURES),
        (ip_key, settings.ACCORD_LOGIN_MAX_FAILURES_PER_IP),
    ):
        count, started = _failures(key)
        if count >= limit:
            wait = max(wait, math.ceil(started + window - _now()))
    return max(wait, 0)


class ThrottledLoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = locked_for(request)
        if wait:
            sign_in_throttled(request, request.POST.get("username"), wait)
            # An unbound form: the password is not even checked while sign-in is refused.
            form = self.form_class(request, initial={"username": request.POST.get("username")})
            minutes = max(1, math.ceil(wait / 60))
            message = (
                "Too many failed sign-ins for this account or from this address. "
                f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            )
            context = self.get_context_data(form=form, throttled=message)
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Form) -> HttpResponse:
        for key in _keys(self.request):
            _record_failure(key)
        return super().form_invalid(form)  # type: ignore[arg-type]

    def form_valid(self, form: Any) -> HttpResponse:
        cache.delete(_keys(self.request)[0])
        return super().form_valid(form)


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """A new member chooses their password from the link an admin sent (Django's reset
    token: it stops working once a password is set, or after PASSWORD_RESET_TIMEOUT)."""

    template_name = "web/password_set.html"
    success_url = reverse_lazy("web:login")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Log in with your email and it.")
        return response


login = ThrottledLoginView.as_view()
password_set = PasswordSetView.as_view()
logout = auth_views.LogoutView.as_view()
