"""Where email goes without an SMTP host: SMTP on localhost in production, but files in the data
folder's outbox with ACCORD_MAIL_OUTBOX=1 (what `accord demo` sets), so a demo's worker writes
its digests and escalations where they can be read instead of failing on a missing server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.test_security_defaults import _production_env

_PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps(s.MAILERS['default']))"
)


@pytest.mark.parametrize(
    ("outbox", "backend"),
    [("", "django.core.mail.backends.smtp.EmailBackend"),
     ("1", "django.core.mail.backends.filebased.EmailBackend")],
)  # fmt: skip
def test_production_mail_without_an_smtp_host(tmp_path: Path, outbox: str, backend: str) -> None:
    env = _production_env(tmp_path)
    if outbox:
        env["ACCORD_MAIL_OUTBOX"] = outbox
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    mailer = json.loads(done.stdout.strip().splitlines()[-1])
    assert mailer["BACKEND"] == backend
    if outbox:
        assert mailer["OPTIONS"]["file_path"] == str(tmp_path / "outbox")


def test_the_demo_writes_mail_to_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.cli.main import _prepare_demo_environment

    # A copy of the environment, so that nothing the demo sets outlives the test.
    environ = {k: v for k, v in os.environ.items() if k != "ACCORD_MAIL_OUTBOX"}
    monkeypatch.setattr(os, "environ", environ)
    _prepare_demo_environment()
    assert os.environ["ACCORD_MAIL_OUTBOX"] == "1"
