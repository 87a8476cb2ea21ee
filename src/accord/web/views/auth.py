"""Sign-in and sign-out: Django's auth views with Accord's templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from accord.web.forms import EmailAuthenticationForm

login = auth_views.LoginView.as_view(
    template_name="web/login.html",
    authentication_form=EmailAuthenticationForm,
    redirect_authenticated_user=True,
)
logout = auth_views.LogoutView.as_view()
