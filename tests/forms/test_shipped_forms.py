"""The forms shipped in survey_forms/ load and say what docs/sipas-method.md says; malformed definitions are
refused precisely.

No database: these tests only parse and validate definitions.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.forms.loader import FormError, load_forms
from app.forms.schemas import PROFILE_FIELDS, FormDefinition, ItemType
from app.responses.ingest import SubmissionInvalid, validate

FORMS = Path(__file__).resolve().parents[2] / "survey_forms"
SCHEMA_LINE = "# yaml-language-server: $schema=form.schema.json"

SERVICE_ITEMS = {"access": 5, "procedure": 5, "civil_servant": 6, "result": 4, "feedback": 4}
POLICY_ITEMS = {"accountability": 3, "participation": 3, "policy_quality": 10, "impact": 3}


def _forms() -> dict[str, FormDefinition]:
    return {form.definition.id: form.definition for form in load_forms(FORMS)}


@pytest.fixture(scope="module")
def sipas() -> FormDefinition:
    return _forms()["sipas-2023"]


@pytest.fixture(scope="module")
def tt01() -> FormDefinition:
    return _forms()["tt01-dossier"]


# ------------------------------------------------------------------------------------------------ shipped forms


def test_every_shipped_form_loads_and_points_editors_to_the_schema() -> None:
    loaded = load_forms(FORMS)
    assert sorted((form.definition.id, form.definition.version) for form in loaded) == [
        ("counter-quick", 1),
        ("sipas-2023", 1),
        ("tt01-dossier", 1),
    ]
    for form in loaded:
        assert form.path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE, form.path


def test_sipas_2023_has_the_nine_elements_of_the_2023_method(sipas: FormDefinition) -> None:
    components = {element.code: element.component for element in sipas.elements}
    assert components == {**dict.fromkeys(SERVICE_ITEMS, "service"), **dict.fromkeys(POLICY_ITEMS, "policy")}
    per_element = Counter(item.element for item in sipas.items if item.element is not None)
    assert dict(per_element) == {**SERVICE_ITEMS, **POLICY_ITEMS}
    assert sum(per_element.values()) == 43


def test_sipas_2023_elements_each_have_one_required_general_item(sipas: FormDefinition) -> None:
    for element in sipas.elements:
        items = [item for item in sipas.items if item.element == element.code]
        general = [item for item in items if item.role == "general"]
        assert [item.code for item in general] == [f"{element.code}_general"]
        assert general[0].required is True
        assert not any(item.required for item in items if item.role != "general")
        assert {item.scale for item in items} == {"satisfaction5"}
    assert sipas.scales["satisfaction5"].satisfied == [4, 5]


def test_sipas_2023_policy_quality_covers_the_nine_policy_groups(sipas: FormDefinition) -> None:
    groups = [item.code for item in sipas.items if item.element == "policy_quality" and item.role is None]
    assert groups == [
        "policy_economy",
        "policy_health",
        "policy_education",
        "policy_security",
        "policy_traffic",
        "policy_electricity",
        "policy_water",
        "policy_social_security",
        "policy_admin_reform",
    ]


def test_sipas_2023_indices_follow_the_2023_method(sipas: FormDefinition) -> None:
    assert sipas.indices is not None
    assert sipas.indices.overall == ["policy", "service"]
    assert sipas.indices.general_item_in_element is True
    assert sipas.indices.overall_name.vi == "Chỉ số SIPAS"
    assert {component.code for component in sipas.components} == {"policy", "service"}


def test_sipas_2023_other_blocks_feed_no_index(sipas: FormDefinition) -> None:
    needs = [item for item in sipas.items if item.scale == "need3"]
    assert len(needs) == 10
    assert all(item.element is None and not item.required for item in needs)
    assert [level.value for level in sipas.scales["need3"].levels] == [1, 2, 3]
    perceptions = [
        "policy_interest",
        "info_channels",
        "feedback_willingness",
        "trouble_caused",
        "informal_payment",
        "preferred_submission",
    ]
    for code in perceptions:
        assert sipas.item(code).element is None
    assert sipas.item("info_channels").type is ItemType.multiple_choice
    assert {option.code for option in sipas.item("trouble_caused").options or []} == {"yes", "no", "not_sure"}


def test_sipas_2023_collects_the_whole_respondent_profile(sipas: FormDefinition) -> None:
    profile = {item.profile: item for item in sipas.items if item.profile is not None}
    assert set(profile) == set(PROFILE_FIELDS)
    assert all(item.type is ItemType.single_choice and not item.required for item in profile.values())
    assert [option.code for option in profile["age_band"].options or []] == [
        "a18_25",
        "a26_34",
        "a35_49",
        "a50_60",
        "over_60",
    ]
    assert [option.code for option in profile["residence"].options or []] == ["urban", "rural"]
    assert [option.code for option in profile["ethnicity"].options or []] == ["kinh", "other"]


def test_sipas_2023_service_block_is_asked_only_of_people_who_used_a_service(sipas: FormDefinition) -> None:
    policy_general = {f"{code}_general": 4 for code in POLICY_ITEMS}
    checked = validate(sipas, {**policy_general, "used_service": "no", "sex": "female", "age_band": "over_60"})
    assert checked.profile == {"sex": "female", "age_band": "over_60"}
    assert "sex" not in checked.answers and checked.answers["used_service"] == "no"

    with pytest.raises(SubmissionInvalid) as missing:
        validate(sipas, {**policy_general, "used_service": "yes", "access_general": 5})
    assert {(error.pointer, error.kind) for error in missing.value.errors} == {
        (f"/answers/{code}_general", "required") for code in SERVICE_ITEMS if code != "access"
    }
    with pytest.raises(SubmissionInvalid) as not_asked:
        validate(sipas, {**policy_general, "used_service": "no", "access_info": 4})
    assert [(error.pointer, error.kind) for error in not_asked.value.errors] == [("/answers/access_info", "not_asked")]


def test_tt01_dossier_rates_on_three_levels_and_asks_a_reason_when_dissatisfied(tt01: FormDefinition) -> None:
    rating = tt01.item("rating")
    assert rating.required is True and rating.scale == "rating3" and rating.element == "dossier"
    assert [level.value for level in tt01.scales["rating3"].levels] == [3, 2, 1]
    assert tt01.satisfied_levels(rating) == {2, 3}
    reason = tt01.item("reason")
    assert reason.type is ItemType.multiple_choice and reason.required is True
    assert reason.show_if is not None and reason.show_if.item == "rating" and reason.show_if.in_ == [1]
    comment = tt01.item("comment")
    assert comment.required is False and comment.length_limit == 500
    assert tt01.indices is not None and tt01.indices.overall == ["service"]
    assert [(element.code, element.component) for element in tt01.elements] == [("dossier", "service")]


def test_committed_json_schema_is_current() -> None:
    generated = json.dumps(FormDefinition.model_json_schema(by_alias=True), indent=2, ensure_ascii=False) + "\n"
    assert (FORMS / "form.schema.json").read_text(encoding="utf-8") == generated


# ------------------------------------------------------------------------------------------------ malformed forms


def _text(vi: str) -> dict[str, str]:
    return {"vi": vi}


MINIMAL: dict[str, Any] = {
    "id": "test-form",
    "version": 1,
    "title": _text("Thử"),
    "scales": {
        "yes_no": {
            "levels": [{"value": 1, "label": _text("Không")}, {"value": 2, "label": _text("Có")}],
            "satisfied": [2],
        },
    },
    "components": [{"code": "service", "name": _text("Dịch vụ")}],
    "elements": [{"code": "access", "component": "service", "name": _text("Tiếp cận")}],
    "items": [
        {"code": "overall", "type": "scale", "scale": "yes_no", "element": "access", "text": _text("Chung")},
        {
            "code": "field",
            "type": "single_choice",
            "text": _text("Lĩnh vực"),
            "options": [{"code": "land", "label": _text("Đất đai")}, {"code": "other", "label": _text("Khác")}],
        },
        {"code": "reason", "type": "comment", "text": _text("Lý do"), "show_if": {"item": "overall", "in": [1]}},
    ],
    "indices": {"overall": ["service"], "overall_name": _text("Chỉ số")},
}


def _form(change: Any = None) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    if change is not None:
        change(data)
    return data


def test_the_minimal_form_is_valid() -> None:
    FormDefinition.model_validate(_form())


MALFORMED = [
    pytest.param(
        lambda d: d["elements"][0].update(component="services"),
        r"element 'access': unknown component 'services'",
        id="element-unknown-component",
    ),
    pytest.param(
        lambda d: d["items"][2]["show_if"].update(item="later"),
        r"item 'reason': show_if refers to 'later', which is not an earlier item",
        id="show-if-unknown-item",
    ),
    pytest.param(
        lambda d: d["items"].insert(0, d["items"].pop(2)),
        r"item 'reason': show_if refers to 'overall', which is not an earlier item",
        id="show-if-later-item",
    ),
    pytest.param(
        lambda d: d["items"][2]["show_if"].update({"in": [1, 3]}),
        r"item 'reason': show_if values \[3\] are not answers of 'overall'",
        id="show-if-scale-value",
    ),
    pytest.param(
        lambda d: d["items"][2].update(show_if={"item": "field", "in": ["sea"]}),
        r"item 'reason': show_if values \['sea'\] are not answers of 'field'",
        id="show-if-option-value",
    ),
    pytest.param(
        lambda d: d["items"][0].update(profile="sex"),
        r"items\.0\n.*'profile' is for single_choice items without a role",
        id="profile-on-scale",
    ),
    pytest.param(
        lambda d: d["items"][1].update(profile="gender"),
        r"items\.1\.profile\n.*Input should be 'sex'",
        id="unknown-profile-field",
    ),
    pytest.param(
        lambda d: d["items"][1].update(role="procedure_field", profile="sex"),
        r"'profile' is for single_choice items without a role",
        id="profile-with-role",
    ),
    pytest.param(
        lambda d: d["items"][1].update(element="access"),
        r"only scale items can belong to an element",
        id="element-on-choice",
    ),
    pytest.param(
        lambda d: d["items"][0].update(element=None, role="general"),
        r"role 'general' needs an element",
        id="general-without-element",
    ),
    pytest.param(
        lambda d: d["items"][0].update(element="acces"),
        r"item 'overall': unknown element 'acces'",
        id="unknown-element",
    ),
    pytest.param(
        lambda d: d["items"][0].update(scale="stars"), r"item 'overall': unknown scale 'stars'", id="unknown-scale"
    ),
    pytest.param(
        lambda d: d["items"][1].update(max_length=10),
        r"'max_length' is only for short_text and comment items",
        id="max-length-on-choice",
    ),
    pytest.param(
        lambda d: d["items"][2].update(max_length=0),
        r"items\.2\.max_length\n.*greater than or equal to 1",
        id="max-length-zero",
    ),
    pytest.param(
        lambda d: d["items"].append(copy.deepcopy(d["items"][1])),
        r"item codes must be unique; repeated: \['field'\]",
        id="duplicate-code",
    ),
    pytest.param(
        lambda d: d["items"][1]["options"][0].update(code="18_25"),
        r"items\.1\.options\.0\.code\n.*should match pattern",
        id="bad-option-code",
    ),
    pytest.param(
        lambda d: d["scales"]["yes_no"].update(satisfied=[2, 3]),
        r"satisfied levels \[3\] are not among the levels \[1, 2\]",
        id="satisfied-not-a-level",
    ),
    pytest.param(
        lambda d: d["indices"].update(overall=["policy", "service"]),
        r"indices\.overall: unknown components \['policy'\]",
        id="overall-unknown-component",
    ),
    pytest.param(
        lambda d: d["items"][2].update(colour="red"),
        r"items\.2\.colour\n.*Extra inputs are not permitted",
        id="unknown-key",
    ),
]


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_malformed_definitions_are_refused(change: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FormDefinition.model_validate(_form(change))


def test_loader_errors_name_the_file_and_the_path(tmp_path: Path) -> None:
    source = (FORMS / "sipas-2023.yaml").read_text(encoding="utf-8")
    assert "    profile: sex\n" in source
    broken = source.replace("    profile: sex\n", "    profile: sex\n    max_length: 10\n", 1)
    (tmp_path / "broken.yaml").write_text(broken, encoding="utf-8")
    sipas = next(form.definition for form in load_forms(FORMS) if form.definition.id == "sipas-2023")
    index = [item.code for item in sipas.items].index("sex")
    with pytest.raises(FormError) as error:
        load_forms(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'broken.yaml'}: items[{index}]: "
        "Value error, 'max_length' is only for short_text and comment items"
    )


def test_loader_errors_for_cross_references_name_the_file(tmp_path: Path) -> None:
    source = (FORMS / "tt01-dossier.yaml").read_text(encoding="utf-8")
    assert "show_if: {item: rating, in: [1]}" in source
    (tmp_path / "tt01.yaml").write_text(source.replace("in: [1]}", "in: [0]}", 1), encoding="utf-8")
    with pytest.raises(FormError, match=r"tt01\.yaml: \(top level\): Value error, item 'reason': show_if values \[0\]"):
        load_forms(tmp_path)
