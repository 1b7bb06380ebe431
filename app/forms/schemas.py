"""The form-definition language of ``survey_forms/*.yaml``, as pydantic models (validated at start-up)."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in Vietnamese (required) and English."""

    vi: str = Field(min_length=1)
    en: str | None = None


class Level(Strict):
    value: int
    label: Text


class Scale(Strict):
    """Ordered answer levels; ``satisfied`` lists the levels that count as satisfied (SIPAS: 4 and 5). A scale
    that does not measure satisfaction (e.g. how much a need matters) leaves it empty."""

    levels: list[Level] = Field(min_length=2)
    satisfied: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _satisfied_are_levels(self) -> Scale:
        values = [level.value for level in self.levels]
        if len(set(values)) != len(values):
            raise ValueError("level values must be distinct")
        unknown = sorted(set(self.satisfied) - set(values))
        if unknown:
            raise ValueError(f"satisfied levels {unknown} are not among the levels {values}")
        return self


class ItemType(StrEnum):
    scale = "scale"
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    short_text = "short_text"
    comment = "comment"


PROFILE_FIELDS = ("sex", "age_band", "ethnicity", "education", "occupation", "residence")
ProfileField = Literal["sex", "age_band", "ethnicity", "education", "occupation", "residence"]
DEFAULT_MAX_LENGTH = {"short_text": 200, "comment": 1000}


class Option(Strict):
    code: Code
    label: Text


class Condition(Strict):
    """Show (and require) an item only when another item's answer is among ``in_``."""

    item: Code
    in_: list[StrictInt | str] = Field(alias="in", min_length=1)


class Item(Strict):
    """One question. ``role`` gives an item a meaning the service acts on:

    - ``general``: the "in general" (nói chung) item of its element;
    - ``procedure_field``: a single choice whose option codes are procedure-field codes (stored on the response);
    - ``dossier_code``: a short text holding a dossier code, stored only as a keyed hash, never as text.

    ``profile`` stores a single choice in the response's respondent profile (apart from the answers) instead.
    ``detail`` puts an optional item behind a closed "details (optional)" section on the citizen form and the kiosk,
    so that a quick form fits one screen; it changes nothing in what is stored or computed.
    """

    code: Code
    type: ItemType
    text: Text
    help: Text | None = None
    required: bool = False
    scale: Code | None = None
    options: list[Option] | None = None
    element: Code | None = None
    role: Literal["general", "procedure_field", "dossier_code"] | None = None
    profile: ProfileField | None = None
    max_length: int | None = Field(default=None, ge=1, le=5000)
    show_if: Condition | None = None
    detail: bool = False

    @property
    def length_limit(self) -> int | None:
        """The most characters a text answer may have (the item's own limit or the type's default)."""
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type.value)

    @model_validator(mode="after")
    def _fields_match_type(self) -> Item:
        if self.type is ItemType.scale and self.scale is None:
            raise ValueError("a scale item needs 'scale'")
        if self.type is not ItemType.scale and self.scale is not None:
            raise ValueError("'scale' is only for scale items")
        choice = self.type in (ItemType.single_choice, ItemType.multiple_choice)
        if choice and not self.options:
            raise ValueError(f"a {self.type.value} item needs 'options'")
        if not choice and self.options is not None:
            raise ValueError("'options' is only for choice items")
        if self.element is not None and self.type is not ItemType.scale:
            raise ValueError("only scale items can belong to an element")
        if self.role == "general" and self.element is None:
            raise ValueError("role 'general' needs an element")
        if self.role == "procedure_field" and self.type is not ItemType.single_choice:
            raise ValueError("role 'procedure_field' is for single_choice items")
        if self.role == "dossier_code" and self.type is not ItemType.short_text:
            raise ValueError("role 'dossier_code' is for short_text items")
        if self.role == "dossier_code" and (self.max_length or 0) > 64:
            raise ValueError("a dossier code has at most 64 characters: set max_length to 64 or less")
        if self.profile is not None and (self.type is not ItemType.single_choice or self.role is not None):
            raise ValueError("'profile' is for single_choice items without a role")
        if self.max_length is not None and self.type not in (ItemType.short_text, ItemType.comment):
            raise ValueError("'max_length' is only for short_text and comment items")
        if self.detail and self.required:
            raise ValueError("a 'detail' item sits behind a closed section: it cannot be required")
        return self


class Element(Strict):
    code: Code
    name: Text
    component: Code


class Component(Strict):
    code: Code
    name: Text


class IndexRules(Strict):
    """How item rates combine (docs/sipas-method.md, formulas); the choices the sources leave open are explicit here.

    - ``general_item_in_element``: whether an element's "in general" item is averaged with its other items
      (``true``) or reported beside the element (``false``).
    - ``overall``: the overall index is the mean of these components.
    """

    general_item_in_element: bool = True
    overall: list[Code] = Field(min_length=1)
    overall_name: Text


class FormDefinition(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    version: int = Field(ge=1)
    title: Text
    intro: Text | None = None
    scales: dict[Code, Scale] = Field(default_factory=dict)
    components: list[Component] = Field(default_factory=list)
    elements: list[Element] = Field(default_factory=list)
    items: list[Item] = Field(min_length=1)
    indices: IndexRules | None = None

    @model_validator(mode="after")
    def _references_resolve(self) -> FormDefinition:
        codes = [item.code for item in self.items]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"item codes must be unique; repeated: {duplicates}")
        components = {component.code for component in self.components}
        elements = {element.code for element in self.elements}
        for element in self.elements:
            if element.component not in components:
                raise ValueError(f"element {element.code!r}: unknown component {element.component!r}")
        earlier: set[str] = set()
        for role in ("procedure_field", "dossier_code"):
            if sum(item.role == role for item in self.items) > 1:
                raise ValueError(f"at most one item may have role {role!r}")
        profiles = [item.profile for item in self.items if item.profile]
        if len(set(profiles)) != len(profiles):
            raise ValueError("each profile field may be collected by one item only")
        for item in self.items:
            if item.scale is not None and item.scale not in self.scales:
                raise ValueError(f"item {item.code!r}: unknown scale {item.scale!r}")
            if item.element is not None and item.element not in elements:
                raise ValueError(f"item {item.code!r}: unknown element {item.element!r}")
            if item.element is not None and item.scale is not None and not self.scales[item.scale].satisfied:
                raise ValueError(
                    f"item {item.code!r}: scale {item.scale!r} has no satisfied levels, so it cannot "
                    "count toward an element"
                )
            if item.show_if is not None and item.show_if.item not in earlier:
                raise ValueError(
                    f"item {item.code!r}: show_if refers to {item.show_if.item!r}, which is not an earlier item"
                )
            if item.show_if is not None:
                trigger = self.item(item.show_if.item)
                if trigger.type not in (ItemType.scale, ItemType.single_choice):
                    raise ValueError(
                        f"item {item.code!r}: show_if must refer to a scale or single_choice item, "
                        f"not the {trigger.type.value} item {trigger.code!r}"
                    )
                allowed = self._answer_values(trigger)
                unknown_values = [value for value in item.show_if.in_ if allowed and value not in allowed]
                if unknown_values:
                    raise ValueError(
                        f"item {item.code!r}: show_if values {unknown_values} are not answers of {item.show_if.item!r}"
                    )
            earlier.add(item.code)
        for element in self.elements:
            members = [item for item in self.items if item.element == element.code]
            if not members:
                raise ValueError(f"element {element.code!r} has no items")
            if sum(item.role == "general" for item in members) > 1:
                raise ValueError(f"element {element.code!r} has more than one 'general' item")
        if self.indices is not None:
            unknown = sorted(set(self.indices.overall) - components)
            if unknown:
                raise ValueError(f"indices.overall: unknown components {unknown}")
            for code in self.indices.overall:
                if not any(element.component == code for element in self.elements):
                    raise ValueError(f"indices.overall: component {code!r} has no elements")
        return self

    def _answer_values(self, item: Item) -> set[int | str]:
        if item.scale is not None:
            return {level.value for level in self.scales[item.scale].levels}
        return {option.code for option in item.options or []}

    # Lookups made once per (frozen) definition: ingestion asks them for every answer of every response.
    @cached_property
    def items_by_code(self) -> dict[str, Item]:
        return {item.code: item for item in self.items}

    @cached_property
    def scale_levels(self) -> dict[str, list[int]]:
        """Each scale's level values, in order."""
        return {code: [level.value for level in scale.levels] for code, scale in self.scales.items()}

    @cached_property
    def _satisfied(self) -> dict[str, frozenset[int]]:
        return {code: frozenset(scale.satisfied) for code, scale in self.scales.items()}

    def item(self, code: str) -> Item:
        return self.items_by_code[code]

    def satisfied_levels(self, item: Item) -> frozenset[int]:
        """The levels of a scale item that count as satisfied."""
        if item.scale is None:
            return frozenset()
        return self._satisfied[item.scale]
