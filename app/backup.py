"""Backups of the whole database, and restoring one: `sipas backup FILE` and `sipas restore FILE`.

SQLite: a consistent copy made with sqlite3's online backup API (safe while the server is writing; WAL content
included), restored the same way into the database file. PostgreSQL: ``pg_dump --format=custom``; a restore
drops the file's tables and makes them again from it (``pg_restore --no-owner`` piped into ``psql``) in one
transaction, so a failed restore changes nothing. Both run with the URL's connection parameters in the ``PG*``
environment variables, so the password never appears on a command line. Either file holds every table,
including ``alembic_version``: a restore checks that the file's schema revision is one this code knows, and says
what to do when it is older than the code's head.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url

from app.db import make_engine
from app.errors import SipasError
from app.migrate import alembic_config
from app.partitions import partition_names

Kind = Literal["sqlite", "postgresql"]
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# Tables that `sipas migrate` fills on a fresh database: rows there do not make a database "not empty".
SCHEMA_TABLES = frozenset({"alembic_version", "forms", "form_versions", "procedure_fields"})


class BackupError(SipasError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    kind: Kind
    path: Path
    size: int
    revision: str | None
    responses: int


@dataclass(frozen=True)
class RestoreResult:
    kind: Kind
    revision: str | None
    head: str
    responses: int

    @property
    def needs_migrate(self) -> bool:
        return self.revision != self.head


def database_kind(database_url: str) -> Kind:
    backend = make_url(database_url).get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend  # type: ignore[return-value]
    raise BackupError(f"SIPAS_DATABASE_URL: backups support SQLite and PostgreSQL, not {backend!r}")


def file_kind(path: Path) -> Kind | None:
    """What a file is by its first bytes: a SQLite database, a pg_dump custom-format archive, or neither."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    return None


def code_head() -> str:
    heads = _scripts().get_heads()
    assert len(heads) == 1, f"the migrations have {len(heads)} heads"
    return heads[0]


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _check_known(revision: str | None, source: Path) -> None:
    """A file made by a newer SIPAS (a revision these migrations do not have) cannot be used by this code."""
    if revision is None:
        raise BackupError(f"{source}: holds no alembic_version: not a SIPAS database backup")
    try:
        known = _scripts().get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"{source}: schema revision {revision} is unknown to this version of SIPAS (head {code_head()}); "
            "it was made by a newer version: restore it with that version"
        )


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("SIPAS_DATABASE_URL: an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


# --- PostgreSQL client tools -----------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: the newest installed under /usr/lib/postgresql (Debian keeps them off PATH, and
    pg_dump must not be older than the server), else the one on PATH."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key, reverse=True)
    found = candidates[0] if candidates else shutil.which(name)
    if not found:
        raise BackupError(f"PostgreSQL's {name} is not installed (apt-get install postgresql-client)")
    return found


def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"/postgresql/([\d.]+)/", path)
    return tuple(int(part) for part in match.group(1).split(".") if part) if match else ()


def pg_environment(database_url: str) -> dict[str, str]:
    """The connection parameters of a PostgreSQL URL as libpq environment variables (password included, so it
    never goes on a command line, where other users could read it in the process list)."""
    url = make_url(database_url)
    values = {
        "PGHOST": url.host or _query(url, "host"),
        "PGPORT": str(url.port) if url.port else _query(url, "port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": _query(url, "sslmode"),
        "PGAPPNAME": "sipas-backup",
    }
    environment = dict(os.environ)  # other PG* settings (PGPASSFILE, PGSSLROOTCERT…) apply as they do for the app
    environment.update({key: str(value) for key, value in values.items() if value})
    return environment


def _query(url: URL, name: str) -> str | None:
    value = url.query.get(name)
    return value if isinstance(value, str) or value is None else value[0]


def _run_pg(arguments: list[str], environment: dict[str, str]) -> str:
    try:
        # The arguments are the tool's path, fixed options and file names: no shell, nothing from a request.
        done = subprocess.run(arguments, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError as exc:
        raise BackupError(f"cannot run {arguments[0]}: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = "; ".join(lines[:3]) or f"exit status {done.returncode}"
        raise BackupError(f"{Path(arguments[0]).name} failed: {reason}")
    return done.stdout


# A table of the archive's table of contents (``pg_restore --list``): "215; 1259 16390 TABLE public agencies owner".
_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA |ATTACH )(\S+) (\S+) ", re.MULTILINE)


def _quoted(identifier: str) -> str:
    """An SQL identifier in double quotes, a quote inside it doubled (a table name is the archive's, not ours)."""
    return '"' + identifier.replace('"', '""') + '"'


def _restore_pg(source: Path, database_url: str) -> None:
    """Replace the file's tables with its contents, in one transaction. Not ``pg_restore --clean``: it drops each
    month partition's primary key on its own, which PostgreSQL refuses (the key is its partitioned table's), so the
    tables are dropped whole first, in the same transaction as the restore (one ``BEGIN`` … ``COMMIT`` in ``psql``)."""
    tables = _TOC_TABLE.findall(_run_pg([pg_tool("pg_restore"), "--list", str(source)], dict(os.environ)))
    names = ", ".join(f"{_quoted(schema)}.{_quoted(name)}" for schema, name in tables)
    clean = f"DROP TABLE IF EXISTS {names} CASCADE;\n" if names else ""
    # no notice per table the drop did not find: stderr is read once the restore is over
    environment = {**pg_environment(database_url), "PGOPTIONS": "-c client_min_messages=warning"}
    database = make_url(database_url).database or ""
    script = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(source)]
    apply = [pg_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--no-password"]
    apply += ["--output=/dev/null", f"--dbname={database}"]
    try:
        # The arguments are the tools' paths, fixed options and file names: no shell, nothing from a request.
        with (
            subprocess.Popen(script, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as reader,  # noqa: S603
            subprocess.Popen(apply, env=environment, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as writer,  # noqa: S603
        ):
            assert reader.stdout is not None and writer.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # psql stopped at an error: its message says which
                writer.stdin.write(f"BEGIN;\n{clean}".encode())
                shutil.copyfileobj(reader.stdout, writer.stdin, 1 << 20)
                # Committed only when the whole file was read: a damaged file ends psql's session without COMMIT,
                # and the transaction with it.
                if reader.wait() == 0:
                    writer.stdin.write(b"COMMIT;\n")
            writer.stdin.close()
            read_error = reader.stderr.read() if reader.stderr else b""
            write_error = writer.stderr.read() if writer.stderr else b""
    except OSError as exc:
        raise BackupError(f"cannot run the restore: {exc}") from None
    for tool, code, error in (("pg_restore", reader.returncode, read_error), ("psql", writer.returncode, write_error)):
        if code != 0:
            lines = [line for line in error.decode(errors="replace").strip().splitlines() if line.strip()]
            raise BackupError(f"{tool} failed: {'; '.join(lines[:3]) or f'exit status {code}'}")


def _pg_file_revision(source: Path) -> str | None:
    """The alembic revision stored in a custom-format dump (the data of its alembic_version table)."""
    script = _run_pg(
        [pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(source)],
        dict(os.environ),
    )
    copying = False
    for line in script.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            copying = True
        elif copying:
            return None if line == "\\." else line.strip()
    return None


# --- the database's own state ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    revision: str | None
    responses: int
    data_rows: int  # rows outside SCHEMA_TABLES


def _state(database_url: str) -> _State:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            # a month partition's rows are its partitioned table's (counted once, there)
            names = set(inspect(connection).get_table_names()) - partition_names(connection)
            revision = None
            if "alembic_version" in names:
                revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
            counts = {
                name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
                for name in names - SCHEMA_TABLES
            }
    finally:
        engine.dispose()
    return _State(revision, counts.get("responses", 0), sum(counts.values()))


# --- backup ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic_target(target: Path, *, force: bool) -> Iterator[Path]:
    """A temporary file next to ``target``, moved into place only when the block succeeds."""
    if target.is_dir():
        raise BackupError(f"{target}: is a folder; name the backup file")
    if target.exists() and not force:
        raise BackupError(f"{target}: already exists; choose another name or pass --force to overwrite it")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        partial.chmod(0o600)  # a backup holds everything the database does
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def backup(database_url: str, target: Path, *, force: bool = False) -> BackupResult:
    """Write a consistent copy of the whole database to ``target`` (refused if it exists, unless ``force``)."""
    kind = database_kind(database_url)
    if kind == "sqlite" and not _sqlite_path(make_url(database_url)).is_file():
        raise BackupError(f"SIPAS_DATABASE_URL: {_sqlite_path(make_url(database_url))}: no such database file")
    state = _state(database_url)
    with _atomic_target(target, force=force) as partial:
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(make_url(database_url)), partial, single_file=True)
        else:
            _run_pg(
                [pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}"],
                pg_environment(database_url),
            )
    return BackupResult(kind, target, target.stat().st_size, state.revision, state.responses)


def _sqlite_copy(source: Path, destination: Path, *, single_file: bool = False) -> None:
    """Copy with sqlite3's online backup API: a consistent snapshot even while others write. ``single_file``
    leaves the copy in rollback-journal mode, so it is one self-contained file (no -wal beside it)."""
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader,
            contextlib.closing(sqlite3.connect(destination)) as writer,
        ):
            reader.backup(writer)
            if single_file:
                writer.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source} to {destination}: {exc}") from None


# --- restore ---------------------------------------------------------------------------------------------------


def restore(database_url: str, source: Path, *, force: bool = False) -> RestoreResult:
    """Replace the database with the backup in ``source``. Refuses a database holding data unless ``force``, a
    file of the other database's kind, and a file from a newer SIPAS; the result says whether `sipas migrate`
    must run (the file is from an older schema revision)."""
    kind = database_kind(database_url)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    found = file_kind(source)
    if found is None:
        raise BackupError(f"{source}: not a SIPAS backup (neither a SQLite database nor a pg_dump custom archive)")
    if found != kind:
        raise BackupError(
            f"{source}: is a {_label(found)} backup but SIPAS_DATABASE_URL is a {_label(kind)} database; "
            "restore it into a database of the same kind"
        )
    file_revision = _sqlite_file_revision(source) if kind == "sqlite" else _pg_file_revision(source)
    _check_known(file_revision, source)
    if not force:
        current = _state(database_url)
        if current.data_rows:
            raise BackupError(
                f"the database at SIPAS_DATABASE_URL is not empty ({current.responses:,} responses, "
                f"{current.data_rows:,} rows in all); pass --force to replace everything in it with the backup"
            )
    if kind == "sqlite":
        _sqlite_copy(source, _sqlite_path(make_url(database_url)))
    else:
        _restore_pg(source, database_url)
    restored = _state(database_url)
    if restored.revision != file_revision:
        raise BackupError(
            f"after restoring, the database is at schema revision {restored.revision} instead of the file's "
            f"{file_revision}; check SIPAS_DATABASE_URL"
        )
    return RestoreResult(kind, restored.revision, code_head(), restored.responses)


def _sqlite_file_revision(source: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reader:
            row = reader.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _label(kind: Kind) -> str:
    return "SQLite" if kind == "sqlite" else "PostgreSQL"
