"""`sipas link …` and `sipas forms …` on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import Settings
from app.directory.models import Counter
from app.forms.cli import form_json_schema
from app.links import service as links
from app.links import tokens
from app.responses.models import DossierLink
from tests.factories import FORMS_DIR, counter_tree, sipas_cli


@pytest.fixture
def run(settings: Settings) -> Callable[..., Result]:
    return sipas_cli(settings, SIPAS_PUBLIC_BASE_URL="https://gopy.minhan.gov.vn")


@pytest.fixture
def counter(session: Session) -> Counter:
    return counter_tree(session)[2]


def test_link_counter_prints_the_qr_address(run, settings: Settings, counter: Counter) -> None:
    result = run("link", "counter", "--agency", "HN-X01", "--counter", "Q01")
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("https://gopy.minhan.gov.vn/f/")
    assert tokens.verify(settings, url.rsplit("/", 1)[1]) == tokens.CounterLink(
        "counter-quick", counter.agency_id, counter.id, 0
    )


def test_link_revoke_invalidates_printed_codes(run, settings: Settings, session: Session, counter: Counter) -> None:
    old, old_code = links.counter_token(settings, counter), counter.short_code
    result = run("link", "revoke", "--agency", "HN-X01", "--counter", "Q01")
    assert result.exit_code == 0, result.output
    session.expire_all()
    revoked = session.get(Counter, counter.id)
    assert revoked is not None
    assert revoked.link_generation == 1
    assert revoked.short_code != old_code
    assert result.output.splitlines() == [
        "links of HN-X01/Q01 revoked; the new link is:",
        f"https://gopy.minhan.gov.vn/f/{links.counter_token(settings, revoked)}",
        f"the new short code is {revoked.short_code} (replaces {old_code}): "
        f"https://gopy.minhan.gov.vn/q/{revoked.short_code}",
    ]
    with pytest.raises(links.LinkNotFound):
        links.resolve(session, settings, {}, old)


def test_link_dossier_mints_a_single_use_link(run, session: Session, counter: Counter) -> None:
    result = run("link", "dossier", "--agency", "HN-X01", "--counter", "Q01", "--dossier", "H26-0001", "--days", "7")
    assert result.exit_code == 0, result.output
    url, validity = result.output.strip().splitlines()
    assert url.startswith("https://gopy.minhan.gov.vn/f/")
    assert validity.startswith("single use; valid until ")
    link = session.scalars(select(DossierLink)).one()
    assert (link.counter_id, link.form_id, link.created_by) == (counter.id, "tt01-dossier", "cli")
    assert (link.expires_at - link.created_at).days == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["link", "counter", "--agency", "HN-X01", "--counter", "Q99"], "error: agency 'HN-X01' has no counter 'Q99'"),
        (["link", "counter", "--agency", "HN-X01", "--counter", "Q01", "--form", "nope"], "error: unknown form 'nope'"),
        (["link", "dossier", "--agency", "NOPE", "--dossier", "x"], "error: unknown agency 'NOPE'"),
        (
            ["link", "dossier", "--agency", "HN-X01", "--dossier", "x", "--days", "999"],
            "error: days: between 1 and 366",
        ),
        (["link", "revoke", "--agency", "HN", "--counter", "Q01"], "error: agency 'HN' has no counter 'Q01'"),
    ],
)
def test_link_errors(run, session: Session, counter: Counter, args: list[str], message: str) -> None:
    result = run(*args)
    assert (result.exit_code, result.output.strip()) == (2, message)
    assert session.scalars(select(DossierLink)).first() is None


def test_forms_schema_matches_the_committed_file() -> None:
    result = CliRunner().invoke(cli, ["forms", "schema"])
    assert result.exit_code == 0
    assert result.output == form_json_schema()
    assert json.loads(result.output)["title"] == "FormDefinition"
    assert (FORMS_DIR / "form.schema.json").read_text(encoding="utf-8") == result.output


def test_forms_check(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["forms", "check", str(FORMS_DIR)])
    assert result.exit_code == 0
    assert f"{FORMS_DIR / 'counter-quick.yaml'}: counter-quick version 1, 10 items, ok" in result.output
    (tmp_path / "bad.yaml").write_text("id: Bad Id\nversion: 1\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["forms", "check", str(tmp_path)])
    assert bad.exit_code == 2
    assert bad.output.startswith(f"error: {tmp_path / 'bad.yaml'}: id: String should match pattern")
