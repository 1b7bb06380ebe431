"""Form definitions: validated at start-up, errors that name the file and the place, versions immutable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.forms.loader import FormError, check_registered, load_forms, register_forms
from app.forms.models import FormVersion
from app.main import create_app
from app.responses.service import answer_rows

FORMS = Path(__file__).resolve().parents[2] / "survey_forms"


def _copy_forms(tmp_path: Path) -> Path:
    target = tmp_path / "forms"
    shutil.copytree(FORMS, target)
    return target


def _edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_counter_quick_form_loads_with_its_elements() -> None:
    forms = {form.definition.id: form.definition for form in load_forms(FORMS)}
    quick = forms["counter-quick"]
    assert quick.version == 1
    assert [element.code for element in quick.elements] == [
        "access",
        "procedure",
        "civil_servant",
        "result",
        "feedback",
    ]
    assert quick.item("overall").required is True
    assert quick.satisfied_levels(quick.item("overall")) == {4, 5}
    assert quick.item("reason").show_if is not None


def test_satisfied_follows_the_forms_scale() -> None:
    quick = next(form.definition for form in load_forms(FORMS) if form.definition.id == "counter-quick")
    rows = {
        row["item_code"]: row
        for row in answer_rows(quick, {"overall": 4, "access_general": 3, "reason": ["attitude"], "comment": "ok"})
    }
    assert rows["overall"]["satisfied"] == 1
    assert rows["access_general"]["satisfied"] == 0
    assert rows["reason"]["satisfied"] is None and rows["reason"]["value_json"] == ["attitude"]
    assert rows["comment"]["value_text"] == "ok"


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nitems: [a, b\n", encoding="utf-8")
    with pytest.raises(FormError, match=r"bad\.yaml: line 3, column 1: not valid YAML"):
        load_forms(tmp_path)


def test_schema_errors_name_the_path_inside_the_file(tmp_path: Path) -> None:
    forms = _copy_forms(tmp_path)
    _edit(forms / "counter-quick.yaml", lambda data: data["items"][1].update(scale="stars10"))
    with pytest.raises(FormError, match=r"counter-quick\.yaml: .*item 'access_general': unknown scale 'stars10'"):
        load_forms(forms)
    _edit(forms / "counter-quick.yaml", lambda data: data["items"][1].update(scale="satisfaction5", colour=1))
    with pytest.raises(FormError, match=r"items\[1\]\.colour: Extra inputs are not permitted"):
        load_forms(forms)


def test_the_same_version_twice_is_refused(tmp_path: Path) -> None:
    forms = _copy_forms(tmp_path)
    shutil.copyfile(forms / "counter-quick.yaml", forms / "copy.yaml")
    with pytest.raises(FormError, match="form 'counter-quick' version 1 is also defined in"):
        load_forms(forms)


def test_a_live_version_cannot_be_edited_in_place(session: Session, settings: Settings, tmp_path: Path) -> None:
    forms_dir = _copy_forms(tmp_path)
    _edit(forms_dir / "counter-quick.yaml", lambda data: data["title"].update(vi="Tiêu đề mới"))
    with pytest.raises(FormError, match="give the change a new version number"):
        register_forms(session, load_forms(forms_dir))
    with pytest.raises(FormError, match="give the change a new version number"):
        create_app(settings.model_copy(update={"forms_dir": forms_dir}))


def test_a_new_version_is_registered_beside_the_old(session: Session, tmp_path: Path) -> None:
    forms_dir = _copy_forms(tmp_path)
    shutil.copyfile(forms_dir / "counter-quick.yaml", forms_dir / "counter-quick-v2.yaml")
    _edit(forms_dir / "counter-quick-v2.yaml", lambda data: data.update(version=2))
    added = register_forms(session, load_forms(forms_dir))
    session.commit()
    assert [(version.form_id, version.version) for version in added] == [("counter-quick", 2)]
    versions = session.scalars(select(FormVersion.version).where(FormVersion.form_id == "counter-quick"))
    assert sorted(versions) == [1, 2]
    registry = check_registered(session, load_forms(forms_dir))
    assert {key for key in registry if key[0] == "counter-quick"} == {("counter-quick", 1), ("counter-quick", 2)}


def test_comments_and_layout_are_not_changes(session: Session, tmp_path: Path) -> None:
    forms_dir = _copy_forms(tmp_path)
    path = forms_dir / "counter-quick.yaml"
    path.write_text("# a new comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert register_forms(session, load_forms(forms_dir)) == []


def test_unregistered_form_stops_start_up(settings: Settings, tmp_path: Path) -> None:
    forms_dir = _copy_forms(tmp_path)
    shutil.copyfile(forms_dir / "counter-quick.yaml", forms_dir / "v2.yaml")
    _edit(forms_dir / "v2.yaml", lambda data: data.update(version=2))
    with pytest.raises(FormError, match="version 2 is not registered; run `sipas migrate`"):
        create_app(settings.model_copy(update={"forms_dir": forms_dir}))


def _quick() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((FORMS / "counter-quick.yaml").read_text(encoding="utf-8"))


def _item(data: dict, code: str) -> dict:  # type: ignore[type-arg]
    return next(item for item in data["items"] if item["code"] == code)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["items"].append(
                {
                    "code": "why",
                    "type": "comment",
                    "text": {"vi": "?"},
                    "show_if": {"item": "reason", "in": ["attitude"]},
                }
            ),
            "item 'why': show_if must refer to a scale or single_choice item, not the multiple_choice item 'reason'",
        ),
        (
            lambda d: _item(d, "reason")["show_if"].update({"in": [True]}),
            "items[7].show_if.in[0].int: Input should be a valid integer",
        ),
        (
            lambda d: _item(d, "overall").update(element="access", role="general"),
            "element 'access' has more than one 'general' item",
        ),
        (
            lambda d: d["elements"].append({"code": "extra", "component": "service", "name": {"vi": "Thêm"}}),
            "element 'extra' has no items",
        ),
        (
            lambda d: (
                d["components"].append({"code": "policy", "name": {"vi": "Chính sách"}})
                or d["indices"].update(overall=["service", "policy"])
            ),
            "indices.overall: component 'policy' has no elements",
        ),
        (lambda d: _item(d, "dossier_code").update(max_length=100), "a dossier code has at most 64 characters"),
        (
            lambda d: d["scales"]["satisfaction5"].pop("satisfied"),
            "item 'access_general': scale 'satisfaction5' has no satisfied levels, "
            "so it cannot count toward an element",
        ),
    ],
)
def test_rules_that_span_the_form(tmp_path: Path, change: object, message: str) -> None:
    data = _quick()
    change(data)  # type: ignore[operator]
    (tmp_path / "form.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FormError) as error:
        load_forms(tmp_path)
    assert message in str(error.value)
