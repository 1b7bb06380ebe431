"""The `sipas` command: each command on both databases, and bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.audit.models import AuditEvent
from app.cli import cli
from app.config import Settings
from app.demo import DEMO_PASSWORD, demo_kiosk_key
from app.directory.models import Agency, Counter, Device, Official, Role
from app.directory.service import create_counter, find_device, get_agency_by_code
from app.officials.models import OfficialSession, SessionKind
from app.reference.models import PopulationCount, Target
from app.responses.models import Answer, Response

AGENCIES_CSV = """code,name_vi,name_en,level,parent_code
HN-X01,Xã Bát Tràng,Bat Trang Commune,commune,HN
HN,Thành phố Hà Nội,Hanoi,province,
HN-STP,Sở Tư pháp,Department of Justice,department,HN
HN-STP-1,Phòng Hộ tịch,,other,HN-STP
"""


@pytest.fixture
def run(settings: Settings) -> object:
    runner = CliRunner()
    env = {
        "SIPAS_DATABASE_URL": settings.database_url,
        "SIPAS_SECRETS_FILE": str(settings.secrets_file),
        "SIPAS_ENV": "test",
        "SIPAS_PARTITION_MONTHS_AHEAD": str(settings.partition_months_ahead),  # as the template was migrated
    }

    def invoke(*args: str, password: str | None = None) -> Result:
        extra = {"SIPAS_PASSWORD": password} if password else {}
        return runner.invoke(cli, list(args), env={**env, **extra})

    return invoke


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _write(tmp_path: Path, text: str, name: str = "agencies.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_agency_import_and_list_parents_before_children(run, session: Session, tmp_path: Path) -> None:
    result = run("agency", "import", str(_write(tmp_path, AGENCIES_CSV)))
    assert result.exit_code == 0, result.output
    assert "4 agencies created, 0 updated" in result.output
    listing = run("agency", "list")
    assert listing.exit_code == 0
    assert listing.output.splitlines() == [
        "HN\tThành phố Hà Nội\tprovince\t",
        "HN-STP\tSở Tư pháp\tdepartment\tHN",
        "HN-STP-1\tPhòng Hộ tịch\tother\tHN-STP",
        "HN-X01\tXã Bát Tràng\tcommune\tHN",
    ]
    assert get_agency_by_code(session, "HN-STP-1").path.count("/") == 4


def test_agency_import_updates_and_moves_agencies(run, session: Session, tmp_path: Path) -> None:
    run("agency", "import", str(_write(tmp_path, AGENCIES_CSV)))
    moved = "code,name_vi,name_en,level,parent_code\nHN-STP-1,Phòng Hộ tịch - Chứng thực,,other,HN\n"
    result = run("agency", "import", str(_write(tmp_path, moved, "move.csv")))
    assert result.exit_code == 0, result.output
    assert "0 agencies created, 1 updated" in result.output
    session.expire_all()
    province, office = get_agency_by_code(session, "HN"), get_agency_by_code(session, "HN-STP-1")
    assert office.name_vi == "Phòng Hộ tịch - Chứng thực"
    assert office.path == f"{province.path}{office.id}/"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name_vi,level\nA,B,province\n", "agencies.csv, line 1: missing column(s) name_en, parent_code"),
        (
            "code,name_vi,name_en,level,parent_code\nA,Tỉnh A,,state,\n",
            "agencies.csv, line 2, column level: 'state' is not one of ministry, province, department, commune, other",
        ),
        (
            "code,name_vi,name_en,level,parent_code\nA,Tỉnh A,,province,\nB,Xã B,,commune,ZZ\n",
            "agencies.csv, line 3, column parent_code: unknown agency 'ZZ'",
        ),
        (
            "code,name_vi,name_en,level,parent_code\nA,Tỉnh A,,province,\nA,Tỉnh A,,province,\n",
            "agencies.csv, line 3, column code: 'A' already appears on line 2",
        ),
        (
            "code,name_vi,name_en,level,parent_code\nA,,,province,\n",
            "agencies.csv, line 2, column name_vi: a value is required",
        ),
        (
            "code,name_vi,name_en,level,parent_code\nA,Tỉnh A,,province,,extra\n",
            "agencies.csv, line 2: more fields than the header has columns",
        ),
        (
            "code,name_vi,name_en,level,parent_code\nA,Tỉnh A,,province,B\nB,Tỉnh B,,province,A\n",
            "agencies.csv: agency 'A': its parents form a cycle",
        ),
        ("code,name_vi,name_en,level,parent_code\n", "agencies.csv: no agency rows after the header"),
    ],
)
def test_agency_import_rejects_bad_files_and_changes_nothing(
    run, session: Session, tmp_path: Path, text: str, message: str
) -> None:
    result = run("agency", "import", str(_write(tmp_path, text)))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert _count(session, Agency) == 0
    assert _count(session, AuditEvent) == 0


def test_agency_import_of_a_missing_or_binary_file(run, session: Session, tmp_path: Path) -> None:
    result = run("agency", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'nope.csv'}: no such file" in result.output
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    result = run("agency", "import", str(binary))
    assert result.exit_code == 2
    assert "cannot read as UTF-8 text" in result.output
    assert _count(session, Agency) == 0


def test_kiosk_create_prints_the_key_once_and_stores_only_its_hash(run, session: Session, tmp_path: Path) -> None:
    run("agency", "import", str(_write(tmp_path, AGENCIES_CSV)))
    create_counter(session, agency=get_agency_by_code(session, "HN-X01"), code="Q01", name_vi="Quầy 1")
    session.commit()
    result = run("kiosk", "create", "--agency", "HN-X01", "--counter", "Q01", "--label", "Máy tính bảng")
    assert result.exit_code == 0, result.output
    key = result.output.splitlines()[-1]
    assert len(key) == 44 and key.startswith("k")
    session.expire_all()
    device = session.scalars(select(Device)).one()
    assert key not in {device.key_hash, device.key_prefix} and device.key_hash != key
    assert find_device(session, key) == device
    assert find_device(session, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert session.scalar(select(Counter.code).where(Counter.id == device.counter_id)) == "Q01"

    revoked = run("kiosk", "revoke", key[:12])
    assert revoked.exit_code == 0
    session.expire_all()
    assert find_device(session, key) is None
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["device.create", "device.revoke"]


def test_kiosk_create_errors(run, session: Session, tmp_path: Path) -> None:
    run("agency", "import", str(_write(tmp_path, AGENCIES_CSV)))
    create_counter(session, agency=get_agency_by_code(session, "HN-X01"), code="Q01", name_vi="Quầy 1")
    session.commit()
    result = run("kiosk", "create", "--agency", "NOPE")
    assert (result.exit_code, result.output.strip()) == (2, "error: unknown agency 'NOPE'")
    result = run("kiosk", "create", "--agency", "HN-STP", "--counter", "Q01")
    assert (result.exit_code, result.output.strip()) == (2, "error: agency 'HN-STP' has no counter 'Q01'")
    result = run("kiosk", "revoke", "nosuchprefix")
    assert (result.exit_code, result.output.strip()) == (
        2,
        "error: no device whose key starts with 'nosuchprefix'",
    )
    assert _count(session, Device) == 0


def test_official_create(run, session: Session, tmp_path: Path) -> None:
    run("agency", "import", str(_write(tmp_path, AGENCIES_CSV)))
    result = run(
        "official",
        "create",
        "--username",
        "lan",
        "--role",
        "agency_official",
        "--agency",
        "HN-STP",
        password="mat-khau-dai-1",
    )
    assert result.exit_code == 0, result.output
    assert "official lan created (agency_official, HN-STP)" in result.output
    official = session.scalars(select(Official)).one()
    assert official.role is Role.agency_official
    assert official.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(official.password_hash, "mat-khau-dai-1")
    national = run("official", "create", "--username", "bonoivu", "--role", "national", password="mat-khau-dai-2")
    assert national.exit_code == 0, national.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (
            ["--username", "anh", "--role", "agency_official", "--agency", "NOPE"],
            "long-enough-1",
            "unknown agency 'NOPE'",
        ),
        (["--username", "anh", "--role", "province_admin"], "long-enough-1", "role 'province_admin' needs an agency"),
        (["--username", "anh", "--role", "national"], "short", "password: at least 10 characters"),
        (["--username", "anh", "--role", "national"], "aaaaaaaaaaaa", "password: too easy to guess"),
        (["--username", "a b", "--role", "national"], "long-enough-1", "username: a space is not allowed"),
        (["--username", "lân", "--role", "national"], "long-enough-1", "username: 'â' is not allowed"),
    ],
)
def test_official_create_errors(run, session: Session, args: list[str], password: str, message: str) -> None:
    result = run("official", "create", *args, password=password)
    assert result.exit_code == 2
    assert f"error: {message}" in result.output
    assert _count(session, Official) == 0


def test_official_usernames_are_unique(run, session: Session) -> None:
    assert run("official", "create", "--username", "anh", "--role", "national", password="long-enough-1").exit_code == 0
    result = run("official", "create", "--username", "ANH", "--role", "national", password="long-enough-2")
    assert (result.exit_code, result.output.strip()) == (2, "error: an official named 'anh' already exists")
    assert _count(session, Official) == 1


def test_unknown_role_is_a_usage_error(run) -> None:
    result = run("official", "create", "--username", "a", "--role", "mayor", password="long-enough-1")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output


@pytest.mark.slow
def test_demo_loads_what_it_promises(run, session: Session, settings: Settings) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert _count(session, Agency) == 33
    levels = set(session.scalars(select(Agency.level)).all())
    assert {level.value for level in levels} == {"province", "department", "commune", "other"}
    assert _count(session, Counter) == 70
    responses = _count(session, Response)
    assert responses >= 20_000
    assert _count(session, Answer) > 5 * responses  # overall + most of the five element items, and more
    # The procedure field is stored on the response (as every channel does), not as an answer.
    assert session.scalar(select(func.count()).select_from(Answer).where(Answer.item_code == "procedure_field")) == 0
    with_field = session.scalar(
        select(func.count()).select_from(Response).where(Response.procedure_field_id.is_not(None))
    )
    assert 0.65 * responses < (with_field or 0) < 0.75 * responses
    months = session.scalars(select(Response.local_month).distinct()).all()
    assert len(months) == 12
    assert _count(session, PopulationCount) == 32 * 12
    thresholds = set(session.scalars(select(Target.threshold_pct)).all())
    assert thresholds == {86.0}
    official = session.scalars(select(Official)).one()
    assert PasswordHasher().verify(official.password_hash, DEMO_PASSWORD)
    assert find_device(session, demo_kiosk_key(settings)) is not None
    # Agencies differ: the best and worst agencies' satisfied shares are far apart.
    rates = session.execute(
        select(Response.agency_id, func.avg(Answer.satisfied))
        .join(Answer, Answer.response_id == Response.id)
        .where(Answer.item_code == "overall")
        .group_by(Response.agency_id)
    ).all()
    shares = [float(rate) for _, rate in rates]
    assert max(shares) - min(shares) > 0.15


def test_demo_only_loads_into_an_empty_database(run, session: Session, tmp_path: Path) -> None:
    run("agency", "import", str(_write(tmp_path, AGENCIES_CSV)))
    result = run("demo")
    assert result.exit_code == 2
    assert "error: the database already has agencies" in result.output
    quiet = run("demo", "--if-empty")
    assert quiet.exit_code == 0
    assert "nothing loaded" in quiet.output
    assert _count(session, Response) == 0


def test_migrate_reports_nothing_new_on_a_migrated_database(run) -> None:
    result = run("migrate")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "database at head; 0 new form version(s) registered"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIPAS_DATABASE_URL": "nonsense://"}, "error: SIPAS_DATABASE_URL: not a usable database URL"),
        (
            {"SIPAS_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
            "error: cannot use the database at SIPAS_DATABASE_URL: connection failed",
        ),
        (
            {"SIPAS_DATABASE_URL": "sqlite:////no/such/dir/x.db"},
            "error: cannot use the database at SIPAS_DATABASE_URL: unable to open database file",
        ),
        ({"SIPAS_TIMEZONE": "Mars/Base"}, "error: SIPAS_TIMEZONE: Value error, unknown time zone 'Mars/Base'"),
        ({"SIPAS_ENV": "production"}, "error: SIPAS_ENV=production needs real signing keys"),
    ],
)
def test_bad_settings_are_one_clear_line(tmp_path: Path, env: dict[str, str], message: str) -> None:
    base = {"SIPAS_SECRETS_FILE": str(tmp_path / "s.json"), "SIPAS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = CliRunner().invoke(cli, ["agency", "list"], env={**base, **env})
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert "Traceback" not in result.output


def test_purge_forgets_old_official_addresses_and_ended_sessions(run, session: Session) -> None:
    now = datetime.now(UTC)
    official = Official(username="lan", role=Role.national, password_hash="x")
    session.add(official)
    session.flush()
    for days, address in ((200, "203.0.113.7"), (179, "203.0.113.8"), (400, None)):
        session.add(AuditEvent(at=now - timedelta(days=days), actor="lan", action="login", client_ip=address))
    for token, created_days, revoked_days in (("a", 40, None), ("b", 40, 35), ("c", 40, 20), ("d", 1, None)):
        session.add(
            OfficialSession(
                token_hash=token * 64,
                official_id=official.id,
                kind=SessionKind.api,
                client_ip="203.0.113.9",
                created_at=now - timedelta(days=created_days),
                expires_at=now - timedelta(days=created_days - 1),
                revoked_at=None if revoked_days is None else now - timedelta(days=revoked_days),
            )
        )
    session.commit()

    result = run("purge")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "blanked the client address of 1 audit event(s) older than 180 days; "
        "deleted 2 login session(s) ended over 30 days ago\n"
    )
    session.expire_all()
    kept = session.execute(select(AuditEvent.action, AuditEvent.client_ip).order_by(AuditEvent.at)).all()
    assert [tuple(row) for row in kept] == [
        ("login", None),
        ("login", None),
        ("login", "203.0.113.8"),
        ("privacy.purge", None),
    ]
    assert sorted(session.scalars(select(OfficialSession.token_hash))) == ["c" * 64, "d" * 64]
