"""Settings come from the environment; production refuses to start without a real secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = (
    "import django; django.setup(); from django.conf import settings; "
    "from django.db import connection; "
    "print(settings.DATABASES['default']['ENGINE'], settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
)


def _python(env: dict[str, str], code: str = PROBE) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ACCORD_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "accord.config.settings", **env},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "secret", [None, "", "accord-development-only-not-secret"], ids=["missing", "empty", "default"]
)
def test_production_refuses_a_missing_or_default_secret(secret: str | None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"ACCORD_DATA_DIR": str(tmp_path)}
    if secret is not None:
        env["ACCORD_SECRET_KEY"] = secret
    result = _python(env)
    assert result.returncode != 0
    assert "ACCORD_SECRET_KEY is missing or is the development default" in result.stderr


def test_production_with_a_secret_uses_secure_cookies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _python({"ACCORD_SECRET_KEY": "x" * 60, "ACCORD_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "False", "True"]


def test_sqlite_default_lives_in_the_data_dir_with_wal_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); print(connection.settings_dict['NAME']); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0]); "
        "print(c.execute('PRAGMA foreign_keys').fetchone()[0])"
    )
    result = _python({"ACCORD_DEBUG": "1", "ACCORD_DATA_DIR": str(tmp_path)}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "accord.sqlite3"), "wal", "1"]


def test_postgres_urls_select_psycopg(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'])"
    )
    for scheme in ("postgres", "postgresql"):
        result = _python(
            {"ACCORD_DEBUG": "1", "ACCORD_DATABASE_URL": f"{scheme}://u:p@db.internal:6543/accord"},
            code,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [
            "django.db.backends.postgresql", "db.internal", "6543", "accord"
        ]  # fmt: skip


def test_unsupported_database_is_a_clear_error() -> None:
    result = _python({"ACCORD_DEBUG": "1", "ACCORD_DATABASE_URL": "mysql://u:p@h/db"})
    assert result.returncode != 0
    assert "unsupported database 'mysql'" in result.stderr


def test_deploy_checks_pass_under_production_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['accord', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    result = _python(
        {"ACCORD_SECRET_KEY": "k" * 60 + "!@#$%^&*()", "ACCORD_DATA_DIR": str(tmp_path)}, code
    )
    assert result.returncode == 0, result.stdout + result.stderr
