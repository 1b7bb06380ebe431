"""What a form measures, as the statistics engine needs it: the scale items with their satisfied levels, and the
element, component and overall indices built from them (``docs/sipas-method.md`` §3, the form's ``indices`` rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.stats.estimates import IndexSpec

if TYPE_CHECKING:  # a type only: `sipas stats` reads files without any form, and starts without pydantic
    from app.forms.schemas import FormDefinition


@dataclass(frozen=True)
class Measures:
    items: list[str]  # scale items whose scale says which levels are satisfied
    levels: dict[str, tuple[int, ...]]  # the scale's levels per item
    satisfied: dict[str, frozenset[int]]
    indices: list[IndexSpec]  # elements, then components, then the overall index: each refers only to earlier codes


def measures(definition: FormDefinition) -> Measures:
    items: list[str] = []
    levels: dict[str, tuple[int, ...]] = {}
    satisfied: dict[str, frozenset[int]] = {}
    for item in definition.items:
        scale = definition.scales.get(item.scale or "") if item.type == "scale" else None
        if scale is None or not scale.satisfied:
            continue
        items.append(item.code)
        levels[item.code] = tuple(level.value for level in scale.levels)
        satisfied[item.code] = frozenset(scale.satisfied)
    rules = definition.indices
    with_general = rules.general_item_in_element if rules else True
    indices: list[IndexSpec] = []
    for element in definition.elements:
        members = [i for i in definition.items if i.element == element.code and i.code in satisfied]
        chosen = [i.code for i in members if with_general or i.role != "general"] or [i.code for i in members]
        if chosen:
            indices.append(IndexSpec(element.code, "element", tuple(chosen)))
    built = {spec.code for spec in indices}
    for component in definition.components:
        elements = [e.code for e in definition.elements if e.component == component.code and e.code in built]
        if elements:
            indices.append(IndexSpec(component.code, "component", tuple(elements)))
    if rules is not None:
        indices.append(IndexSpec("sipas", "overall", tuple(rules.overall)))
    return Measures(items, levels, satisfied, indices)
