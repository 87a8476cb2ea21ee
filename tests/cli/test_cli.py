"""The `accord` command line: help, version, and writes that land with their author."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import accord
from accord.crm.models import LedgerEntry
from accord.crm.services import contacts
from accord.identity.models import ApiToken, Membership, Team, User, Workspace
from accord.identity.services import api_token_authenticate


def _accord(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCORD_DEBUG": "1"}
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command() -> None:
    result = _accord("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "migrate", "createuser", "lifecycle", "worker", "version"):
        assert f"\n  {command}" in result.stdout


@pytest.mark.parametrize("command", ["demo", "serve", "createuser", "lifecycle", "worker", "token"])
def test_each_command_has_help(command: str) -> None:
    result = _accord(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: accord {command}" in result.stdout


def test_a_missing_secret_key_is_one_clear_line_not_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k not in {"ACCORD_DEBUG", "ACCORD_SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "createworkspace", "Acme", "--slug", "acme"],
        capture_output=True,
        text=True,
        env={**env, "ACCORD_DATA_DIR": str(tmp_path)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ACCORD_SECRET_KEY is missing")
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("serve", "--port", "99999"), "argument --port: 99999 is not between 1 and 65535"),
        (("serve", "--port", "-1"), "argument --port: -1 is not between 1 and 65535"),
        (("token", "create", "--workspace", "w", "--user", "u", "--expires-in-days", "999999999"),
         "argument --expires-in-days: 999999999 is not between 1 and 3650"),
        (("serve", "--threads", "0"), "argument --threads: 0 is not between 1 and 256"),
        (("worker", "--interval", "-1"), "argument --interval: -1 is not a number above 0"),
        (("calendar", "capacity", "--workspace", "w", "--weeks", "-1"),
         "argument --weeks: -1 is not between 1 and 52"),
        (("calendar", "list", "--workspace", "w", "--weeks", "53"),
         "argument --weeks: 53 is not between 1 and 52"),
        (("calendar", "capacity", "--workspace", "w", "--capacity", "nan"),
         "argument --capacity: nan is not a number above 0"),
    ],
)  # fmt: skip
def test_numbers_out_of_range_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = _accord(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_cannot_be_written_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "ACCORD_DEBUG": "1", "ACCORD_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "backup", "--output", "/nonexistent/d/b.tar"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr


def test_version() -> None:
    assert _accord("version").stdout.strip() == f"accord {accord.__version__}"


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_queued_import(workspace, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from accord.crm.models import Contact
    from accord.identity.actor import Actor, Source
    from accord.integrations.importing.jobs import import_create
    from accord.integrations.models import ImportJob
    from accord.integrations.tasks import enqueue_import

    path = tmp_path / "c.csv"
    path.write_text("Email\nana@x.example\nbo@y.example\n", encoding="utf-8")
    job = import_create(
        actor=Actor.for_membership(admin, Source.WEB), path=path, file_name="c.csv",
        record_type="contacts",
    )  # fmt: skip
    enqueue_import(job)
    _run("worker", "--once")
    job = ImportJob.objects.for_workspace(workspace).get(pk=job.pk)
    assert (job.status, job.created) == ("succeeded", 2)
    assert Contact.objects.for_workspace(workspace).count() == 2


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_workspace_user_and_lifecycle_change_from_the_cli() -> None:
    _run("createworkspace", "Acme EMEA", "--slug", "acme-emea", "--currency", "EUR")
    workspace = Workspace.objects.get(slug="acme-emea")
    assert workspace.default_currency == "EUR"
    _run(
        "createuser", "--email", "Rep@Acme.example", "--password", "long-enough-pw",
        "--workspace", "acme-emea", "--role", "sales_rep",
    )  # fmt: skip
    user = User.objects.get(email="rep@acme.example")
    assert Membership.objects.for_workspace(workspace).get(user=user).role == "sales_rep"

    from accord.identity.actor import Actor

    contact = contacts.contact_create(
        actor=Actor.system(workspace), values={"email": "buyer@client.example"}
    )
    output = _run(
        "lifecycle", "buyer@client.example", "mql", "--workspace", "acme-emea",
        "--user", "rep@acme.example", "--reason", "Asked for a demo",
    )  # fmt: skip
    assert "lead → mql" in output
    entry = LedgerEntry.objects.for_workspace(workspace).filter(contact=contact).latest("pk")
    assert (entry.from_stage, entry.to_stage, entry.source, entry.actor_user, entry.reason) == (
        "lead", "mql", "cli", user, "Asked for a demo"
    )  # fmt: skip


@pytest.mark.django_db
def test_a_new_workspace_has_both_teams_and_members_join_them() -> None:
    assert "(teams Sales and Marketing)" in _run("createworkspace", "Nimbus", "--slug", "nimbus")
    workspace = Workspace.objects.get(slug="nimbus")
    teams = Team.objects.for_workspace(workspace)
    assert sorted(teams.values_list("name", "kind")) == [
        ("Marketing", "marketing"), ("Sales", "sales")
    ]  # fmt: skip
    mia = ("--email", "mia@nimbus.example", "--workspace", "nimbus")
    out = _run("createuser", *mia, "--password", "long-enough-pw", "--role", "manager",
               "--team", "marketing")  # fmt: skip
    assert "is manager in nimbus, team Marketing" in out
    members = Membership.objects.for_workspace(workspace)
    assert members.get(user__email="mia@nimbus.example").team.name == "Marketing"
    assert "team Sales" in _run("createuser", *mia, "--team", "Sales")  # the role is kept
    member = members.get(user__email="mia@nimbus.example")
    assert (member.role, member.team.name) == ("manager", "Sales")
    with pytest.raises(CommandError, match=r"no team 'Ops' \(its teams: Marketing, Sales\)"):
        _run("createuser", "--email", "new@nimbus.example", "--password", "long-enough-pw",
             "--workspace", "nimbus", "--team", "Ops")  # fmt: skip
    assert not User.objects.filter(email="new@nimbus.example").exists()


@pytest.mark.django_db
def test_createuser_changes_a_members_role_only_when_asked_and_never_the_last_admin() -> None:
    _run("createworkspace", "Acme", "--slug", "acme-one")
    workspace = Workspace.objects.get(slug="acme-one")
    ana = ("--email", "ana@acme.example", "--workspace", "acme-one")
    _run("createuser", *ana, "--password", "long-enough-pw", "--role", "admin")
    members = Membership.objects.for_workspace(workspace)

    def role() -> str:
        return members.get(user__email="ana@acme.example").role

    with pytest.raises(CommandError, match="already admin in acme-one; pass --role or --team"):
        _run("createuser", *ana)  # the default would have been viewer
    with pytest.raises(CommandError, match="only admin of acme-one"):
        _run("createuser", *ana, "--role", "viewer")
    assert role() == "admin"
    assert "already admin" in _run("createuser", *ana, "--role", "admin")
    _run("createuser", "--email", "bo@acme.example", "--password", "long-enough-pw",
         "--workspace", "acme-one", "--role", "admin")  # fmt: skip
    changed = _run("createuser", *ana, "--role", "manager", "--password", "other-password")
    assert "is manager in acme-one (was admin)" in changed
    assert "password is left unchanged" in changed
    assert role() == "manager"
    assert User.objects.get(email="ana@acme.example").check_password("long-enough-pw")


def test_createuser_without_a_terminal_asks_for_password_plainly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "ACCORD_DEBUG": "1", "ACCORD_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "accord.cli.main", "migrate", "-v", "0"], env=env,
                   check=True, timeout=300)  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "createuser", "--email", "x@acme.example"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Give --password: there is no terminal to ask for it on." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_createworkspace_refuses_an_unknown_zone_and_an_overlong_name() -> None:
    with pytest.raises(CommandError, match="'Mars/Olympus' is not a known time zone"):
        _run("createworkspace", "Tz", "--slug", "tz", "--timezone", "Mars/Olympus")
    with pytest.raises(CommandError, match="not a known time zone"):
        _run("createworkspace", "Tz", "--slug", "tz", "--timezone", "x" * 300)
    with pytest.raises(CommandError, match=r"At most 120 characters \(500 given\)"):
        _run("createworkspace", "n" * 500, "--slug", "long")
    assert not Workspace.objects.filter(slug__in=["tz", "long"]).exists()
    _run("createworkspace", "Paris", "--slug", "paris", "--timezone", "Europe/Paris")
    assert Workspace.objects.get(slug="paris").timezone == "Europe/Paris"


@pytest.mark.django_db
def test_lifecycle_errors_are_clear(workspace, admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=r"No contact 'nobody@x\.example'"):
        _run(
            "lifecycle",
            "nobody@x.example",
            "mql",
            "--workspace",
            "acme",
            "--user",
            admin.user.email,
        )
    with pytest.raises(CommandError, match="No workspace 'nope'"):
        _run("lifecycle", "a@b.example", "mql", "--workspace", "nope", "--user", admin.user.email)
    from accord.identity.actor import Actor

    contacts.contact_create(actor=Actor.system(workspace), values={"email": "a@b.example"})
    with pytest.raises(CommandError, match="not a lifecycle stage"):
        _run("lifecycle", "a@b.example", "hot", "--workspace", "acme", "--user", admin.user.email)
    assert LedgerEntry.objects.for_workspace(workspace).count() == 1


@pytest.mark.django_db
def test_token_create_is_shown_once_and_revocable(workspace, admin) -> None:  # type: ignore[no-untyped-def]
    output = _run(
        "token", "create", "--workspace", "acme", "--user", admin.user.email, "--scope", "read"
    )
    plain = output.strip().splitlines()[-1]
    assert plain.startswith("acc_")
    token = ApiToken.objects.for_workspace(workspace).get()
    assert plain not in (token.digest, token.prefix)
    assert api_token_authenticate(plain) is not None
    _run("token", "revoke", str(token.pk), "--workspace", "acme", "--user", admin.user.email)
    assert api_token_authenticate(plain) is None


@pytest.mark.django_db
def test_an_admin_manages_members_from_the_cli() -> None:
    _run("createworkspace", "Orbit", "--slug", "orbit")
    workspace = Workspace.objects.get(slug="orbit")
    _run("createuser", "--email", "ana@orbit.example", "--password", "long-enough-pw",
         "--workspace", "orbit", "--role", "admin")  # fmt: skip
    as_ana = ("--workspace", "orbit", "--user", "ana@orbit.example")
    out = _run("member", "add", "Sam@Orbit.example", "--name", "Sam Seller", "--role",
               "sales_rep", "--team", "sales", *as_ana)  # fmt: skip
    assert "sam@orbit.example is sales_rep in orbit, team Sales." in out
    assert "choose a password" in out and "/password/set/" in out
    members = Membership.objects.for_workspace(workspace)
    assert members.get(user__email="sam@orbit.example").team.name == "Sales"
    listing = _run("member", "list", "--workspace", "orbit")
    assert "sam@orbit.example" in listing and "2 members." in listing
    assert "is manager, no team" in _run(
        "member", "set", "sam@orbit.example", "--role", "manager", "--team", "none", *as_ana
    )
    with pytest.raises(CommandError, match="only admin"):
        _run("member", "set", "ana@orbit.example", "--role", "viewer", *as_ana)
    with pytest.raises(CommandError, match="acts as an admin"):
        _run("member", "remove", "sam@orbit.example", "--workspace", "orbit")
    with pytest.raises(CommandError, match="does not allow"):
        _run("member", "remove", "ana@orbit.example", "--workspace", "orbit",
             "--user", "sam@orbit.example")  # fmt: skip
    assert "was removed from orbit" in _run("member", "remove", "sam@orbit.example", *as_ana)
    assert not members.filter(user__email="sam@orbit.example").exists()
    with pytest.raises(CommandError, match="is not a member"):
        _run("member", "remove", "sam@orbit.example", *as_ana)
