"""Load ``survey_forms/**/*.yaml`` into validated definitions and register their versions in the database.

Everything is validated before anything is stored: one invalid file stops start-up, nothing is half-loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import ProcedureField
from app.errors import DefinitionError
from app.forms.models import Form, FormVersion
from app.forms.schemas import FormDefinition


class FormError(DefinitionError):
    """A form definition is invalid or conflicts with what is stored; the message names the file and path."""


@dataclass(frozen=True)
class LoadedForm:
    path: Path
    definition: FormDefinition
    content_hash: str


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


LAYOUT_FIELDS = {"detail"}  # how an item is laid out on a page, not what is asked: not part of a version's content


def content_hash(definition: FormDefinition) -> str:
    """SHA-256 of the definition's canonical JSON: comments and layout of the YAML do not count as changes, nor does
    putting an item behind the closed details section (``detail``): the questions, scales and rules stay the same."""
    content = definition.model_dump(mode="json", by_alias=True, exclude={"items": {"__all__": LAYOUT_FIELDS}})
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_form_file(path: Path) -> LoadedForm:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FormError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise FormError(f"{path}: {where}not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(raw, dict):
        raise FormError(f"{path}: a form definition must be a mapping at the top level")
    try:
        definition = FormDefinition.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_location(err['loc'])}: {err['msg']}" for err in exc.errors())
        raise FormError(f"{path}: {problems}") from exc
    return LoadedForm(path=path, definition=definition, content_hash=content_hash(definition))


def load_forms(directory: Path) -> list[LoadedForm]:
    """Parse and validate every form file; raise on the first invalid one or on a repeated (id, version)."""
    if not directory.is_dir():
        raise FormError(f"{directory}: the form directory does not exist")
    loaded: list[LoadedForm] = []
    seen: dict[tuple[str, int], Path] = {}
    for path in sorted(directory.rglob("*.yaml")):
        form = parse_form_file(path)
        key = (form.definition.id, form.definition.version)
        if key in seen:
            raise FormError(f"{path}: form {key[0]!r} version {key[1]} is also defined in {seen[key]}")
        seen[key] = path
        loaded.append(form)
    return loaded


def register_forms(session: Session, forms: list[LoadedForm]) -> list[FormVersion]:
    """Store new forms and versions and return the new versions; refuse a stored version whose content
    changed (a change must be published as a new version)."""
    stored = {(version.form_id, version.version): version for version in session.scalars(select(FormVersion)).all()}
    known_forms = set(session.scalars(select(Form.id)).all())
    added: list[FormVersion] = []
    for form in forms:
        definition = form.definition
        key = (definition.id, definition.version)
        existing = stored.get(key)
        if existing is not None:
            if existing.content_hash != form.content_hash:
                raise FormError(
                    f"{form.path}: form {definition.id!r} version {definition.version} differs from the version "
                    "already in use; a live form is never edited in place: give the change a new version number"
                )
            continue
        if definition.id not in known_forms:
            session.add(Form(id=definition.id, title_vi=definition.title.vi, title_en=definition.title.en))
            known_forms.add(definition.id)
        version = FormVersion(
            form_id=definition.id,
            version=definition.version,
            content_hash=form.content_hash,
            definition=definition.model_dump(mode="json", by_alias=True),
        )
        session.add(version)
        added.append(version)
    _register_procedure_fields(session, forms)
    session.flush()
    return added


def _register_procedure_fields(session: Session, forms: list[LoadedForm]) -> None:
    """Procedure fields are the options of items with role ``procedure_field``; add the codes not yet known."""
    known = set(session.scalars(select(ProcedureField.code)).all())
    for form in forms:
        for item in form.definition.items:
            if item.role != "procedure_field":
                continue
            for option in item.options or []:
                if option.code not in known:
                    session.add(ProcedureField(code=option.code, name_vi=option.label.vi, name_en=option.label.en))
                    known.add(option.code)


@dataclass(frozen=True)
class RegisteredForm:
    form_version_id: int
    definition: FormDefinition


def check_registered(session: Session, forms: list[LoadedForm]) -> dict[tuple[str, int], RegisteredForm]:
    """Match loaded forms to stored versions without writing; refuse forms that are missing or changed."""
    stored = {(version.form_id, version.version): version for version in session.scalars(select(FormVersion)).all()}
    registry: dict[tuple[str, int], RegisteredForm] = {}
    for form in forms:
        key = (form.definition.id, form.definition.version)
        version = stored.get(key)
        if version is None:
            raise FormError(f"{form.path}: form {key[0]!r} version {key[1]} is not registered; run `sipas migrate`")
        if version.content_hash != form.content_hash:
            raise FormError(
                f"{form.path}: form {key[0]!r} version {key[1]} differs from the version already in use; "
                "a live form is never edited in place: give the change a new version number"
            )
        registry[key] = RegisteredForm(form_version_id=version.id, definition=form.definition)
    return registry
