"""`sipas backup` and `sipas restore` on both databases: a round trip gives back every row, and every refusal is a
one-line message that changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app import backup as backups
from app.audit.service import record
from app.cli import cli
from app.config import Settings
from app.db import make_engine, make_session_factory
from app.directory.models import Role
from app.directory.service import create_device
from app.links.service import mint_dossier_link
from app.officials.service import create_official
from app.responses.ingest import Origin, Submission, ingest
from app.responses.models import Channel
from tests.conftest import make_settings
from tests.factories import counter_tree, registry

NOW = datetime.now(UTC).replace(microsecond=0)
Invoke = Callable[..., Result]


def _fill(settings: Settings, responses: int = 5) -> None:
    """Agencies, a counter, a kiosk, an official, a dossier link, responses with answers and audit events."""
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            _, commune, counter = counter_tree(session)
            create_device(session, agency=commune, counter=counter, label="Kiosk quầy 1")
            create_official(
                session,
                username="an.nguyen",
                password="correct horse battery",
                role=Role.agency_official,
                agency=commune,
                display_name="Nguyễn Văn An",
            )
            forms = registry(session, settings)
            mint_dossier_link(session, settings, forms, agency=commune, dossier_code="H26-0001", actor="cli")
            record(session, action="test.event", actor="cli", details={"note": "sao lưu"}, client_ip="10.0.0.1")
            session.commit()
            _add_responses(session, settings, responses, commune.id, counter.id)
    finally:
        engine.dispose()


def _add_responses(session: Session, settings: Settings, count: int, agency_id: int, counter_id: int | None) -> None:
    form = registry(session, settings)[("counter-quick", 1)]
    origin = Origin(channel=Channel.kiosk, agency_id=agency_id, counter_id=counter_id)
    for number in range(count):
        answers: dict[str, Any] = {"overall": 1 + number % 5, "access_general": 4, "comment": f"góp ý {number}"}
        if answers["overall"] <= 2:
            answers["reason"] = ["waiting_time"]
        submission = Submission(
            submission_id=uuid.uuid4(),
            form_id="counter-quick",
            form_version=1,
            submitted_at=NOW - timedelta(minutes=number + 1),
            answers=answers,
            dossier_code=f"H26-{number:04d}",
            profile={"sex": "female"},
        )
        assert ingest(session, settings, form, submission, origin, now=NOW).status == "stored"


def snapshot(database_url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 of its rows in primary-key order."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            result: dict[str, tuple[int, str]] = {}
            for name in sorted(inspector.get_table_names()):
                keys = inspector.get_pk_constraint(name)["constrained_columns"] or [
                    column["name"] for column in inspector.get_columns(name)
                ]
                order = ", ".join(f'"{key}"' for key in keys)
                rows = connection.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}')).all()
                digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
                result[name] = (len(rows), digest)
            return result
    finally:
        engine.dispose()


def _runner(settings: Settings) -> Callable[..., Result]:
    def invoke(*args: str, database_url: str | None = None) -> Result:
        env = {
            "SIPAS_DATABASE_URL": database_url or settings.database_url,
            "SIPAS_SECRETS_FILE": str(settings.secrets_file),
            "SIPAS_ENV": "test",
        }
        return CliRunner().invoke(cli, list(args), env=env)

    return invoke


@pytest.fixture
def run(settings: Settings) -> Invoke:
    return _runner(settings)


def _set_revision(database_url: str, revision: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
    finally:
        engine.dispose()


def test_round_trip_into_a_fresh_database_gives_back_every_row(
    run: Invoke, settings: Settings, empty_database_url: str, tmp_path: Path
) -> None:
    _fill(settings)
    before = snapshot(settings.database_url)
    assert before["responses"][0] == 5 and before["answers"][0] > 5 and before["audit_events"][0] >= 3
    file = tmp_path / "sipas.backup"
    result = run("backup", str(file))
    assert result.exit_code == 0, result.output
    assert f"{file}: " in result.output and "5 responses" in result.output
    assert file.stat().st_mode & 0o777 == 0o600
    result = run("restore", str(file), database_url=empty_database_url)
    assert result.exit_code == 0, result.output
    assert "5 responses" in result.output and "warning" not in result.output
    assert snapshot(empty_database_url) == before
    # The restored database keeps working: new rows get new ids (PostgreSQL's sequences came along).
    engine = make_engine(empty_database_url)
    try:
        with make_session_factory(engine)() as session:
            restored_settings = make_settings(empty_database_url, tmp_path)
            _add_responses(session, restored_settings, 2, 2, None)
            assert session.scalar(text("SELECT count(*) FROM responses")) == 7
    finally:
        engine.dispose()


def _add_later(settings: Settings, *, audited: bool = False) -> None:
    """Four more responses (and an audit event) after a backup was written."""
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            _add_responses(session, settings, 4, 2, None)
            if audited:
                record(session, action="test.later", actor="cli")
            session.commit()
    finally:
        engine.dispose()


def test_restore_with_force_replaces_later_changes(run: Invoke, settings: Settings, tmp_path: Path) -> None:
    _fill(settings, responses=3)
    before = snapshot(settings.database_url)
    file = tmp_path / "before.backup"
    assert run("backup", str(file)).exit_code == 0
    _add_later(settings, audited=True)
    assert snapshot(settings.database_url) != before
    refused = run("restore", str(file))
    assert refused.exit_code == 2
    assert "error: the database at SIPAS_DATABASE_URL is not empty (7 responses" in refused.output
    assert "--force" in refused.output and "Traceback" not in refused.output
    assert snapshot(settings.database_url)["responses"][0] == 7  # nothing changed
    result = run("restore", str(file), "--force")
    assert result.exit_code == 0, result.output
    assert snapshot(settings.database_url) == before


def test_a_damaged_backup_changes_nothing(run: Invoke, settings: Settings, backend: str, tmp_path: Path) -> None:
    """A file cut short (a full disk, a copy stopped halfway) fails while it is being restored: the tables it had
    already dropped and the rows it had loaded are rolled back with the restore's one transaction."""
    _fill(settings, responses=3)
    file = tmp_path / "cut.backup"
    assert run("backup", str(file)).exit_code == 0
    _add_later(settings)
    before = snapshot(settings.database_url)
    whole = file.read_bytes()
    file.write_bytes(whole[: len(whole) * 9 // 10])
    result = run("restore", str(file), "--force")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("error: ")
    if backend == "postgresql":  # SQLite's copy refuses the file before it starts
        assert "pg_restore failed" in result.output
    assert snapshot(settings.database_url) == before


def test_backup_refuses_to_overwrite_unless_forced(run: Invoke, tmp_path: Path) -> None:
    file = tmp_path / "sipas.backup"
    file.write_bytes(b"precious")
    result = run("backup", str(file))
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {file}: already exists; choose another name or pass --force to overwrite it"
    )
    assert file.read_bytes() == b"precious"
    assert run("backup", str(file), "--force").exit_code == 0
    assert backups.file_kind(file) is not None
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".part")] == []
    missing = run("backup", str(tmp_path / "no-such-folder" / "x.backup"))
    assert missing.exit_code == 2 and "no such folder" in missing.output


def test_restore_refuses_files_it_cannot_use(
    run: Invoke, backend: str, settings: Settings, empty_database_url: str, tmp_path: Path
) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup\n")
    result = run("restore", str(text_file), database_url=empty_database_url)
    assert result.exit_code == 2 and "not a SIPAS backup" in result.output
    assert run("restore", str(tmp_path / "absent"), database_url=empty_database_url).output == (
        f"error: {tmp_path / 'absent'}: no such file\n"
    )
    # A file of the other database's kind.
    wrong = tmp_path / "wrong.backup"
    if backend == "sqlite":
        wrong.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
        expected = "is a PostgreSQL backup but SIPAS_DATABASE_URL is a SQLite database"
    else:
        sqlite3.connect(wrong).execute("CREATE TABLE t (x)").connection.close()
        expected = "is a SQLite backup but SIPAS_DATABASE_URL is a PostgreSQL database"
    result = run("restore", str(wrong), database_url=empty_database_url)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert "Traceback" not in result.output


def test_restore_checks_the_schema_revision(
    run: Invoke, settings: Settings, empty_database_url: str, tmp_path: Path
) -> None:
    head = backups.code_head()
    _fill(settings, responses=1)
    # A backup from a newer SIPAS: its revision is unknown here, so nothing is restored.
    _set_revision(settings.database_url, "0123456789ab")
    newer = tmp_path / "newer.backup"
    assert run("backup", str(newer)).exit_code == 0
    result = run("restore", str(newer), database_url=empty_database_url)
    assert result.exit_code == 2
    assert f"schema revision 0123456789ab is unknown to this version of SIPAS (head {head})" in result.output
    # A backup from an older SIPAS: restored, with the advice to migrate.
    older_revision = backups._scripts().get_revision(head).down_revision
    assert isinstance(older_revision, str)
    _set_revision(settings.database_url, older_revision)
    older = tmp_path / "older.backup"
    assert run("backup", str(older)).exit_code == 0
    result = run("restore", str(older), database_url=empty_database_url)
    assert result.exit_code == 0, result.output
    assert f"warning: the backup's schema revision {older_revision} is older than this code's {head}" in result.output


def test_the_password_stays_off_the_command_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = "postgresql+psycopg://sipas:s3cret%2Fpw@db.example:5433/sipas?sslmode=require"
    environment = backups.pg_environment(url)
    names = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE")
    assert [environment[name] for name in names] == ["db.example", "5433", "sipas", "s3cret/pw", "sipas", "require"]
    seen: list[list[str]] = []

    def fake_run(arguments: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        seen.append(arguments)
        assert options["env"]["PGPASSWORD"] == "s3cret/pw"
        return subprocess.CompletedProcess(arguments, 1, "", "pg_dump: error: connection refused\n")

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(backups, "_state", lambda url: backups._State("x", 0, 0))
    with pytest.raises(backups.BackupError, match="pg_dump failed: pg_dump: error: connection refused"):
        backups.backup(url, tmp_path / "out.backup")
    assert seen and not any("s3cret" in argument for argument in seen[0])
    assert not (tmp_path / "out.backup").exists()


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite's online backup API
def test_sqlite_backup_while_another_connection_writes(settings: Settings, tmp_path: Path) -> None:
    """The online backup API copies a consistent state even with an open write transaction elsewhere."""
    _fill(settings, responses=2)
    before = snapshot(settings.database_url)
    path = settings.database_url.removeprefix("sqlite:///")
    writer = sqlite3.connect(path)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM answers")  # not committed: the backup must not see it
    try:
        result = backups.backup(settings.database_url, tmp_path / "online.backup")
    finally:
        writer.rollback()
        writer.close()
    assert result.responses == 2
    assert snapshot(f"sqlite:///{tmp_path / 'online.backup'}") == before
