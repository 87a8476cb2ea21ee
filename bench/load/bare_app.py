"""The reference for the load test: a bare Django project with one view answering
`{"ok": true}`, no database, no apps, Django's security and common middleware. Served by the same
gunicorn with the same workers as Accord, it is the floor a Django app on this machine and
server cannot beat.

    gunicorn --chdir bench/load bare_app:application
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ["ACCORD_SECRET_KEY"],
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    DATABASES={},
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    USE_TZ=True,
)


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("", ok)]

application = get_wsgi_application()
