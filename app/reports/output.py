"""Result tables as CSV, JSON or a terminal table: one row per domain × metric, percentages on 0–100; and the words
people read in place of the machine columns and codes (the XLSX download's first sheet: headers, verdicts, flags)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any, Literal

from app.stats.estimates import Estimate

COLUMNS = (
    "metric",
    "estimate_pct",
    "se_pct",
    "ci_low_pct",
    "ci_high_pct",
    "n",
    "n_eff",
    "deff",
    "deff_reference",
    "df",
    "target_pct",
    "verdict",
    "p_value_below_target",
    "flags",
)
TABLE_HEADER = ("metric", "rate %", "CI", "n", "n_eff", "deff", "df", "verdict", "p(below target)", "flags")


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def row(keys: dict[str, str], estimate: Estimate) -> dict[str, Any]:
    """Full precision (the numbers R prints with 17 digits)."""
    pct = 100.0
    return {
        **keys,
        "metric": estimate.metric,
        "kind": estimate.kind,
        "estimate_pct": estimate.estimate * pct,
        "se_pct": estimate.se * pct,
        "ci_low_pct": estimate.low * pct,
        "ci_high_pct": estimate.high * pct,
        "n": estimate.n,
        "n_eff": _number(estimate.n_eff),
        "deff": _number(estimate.deff),
        "deff_reference": estimate.deff_reference,
        "df": estimate.df,
        "target_pct": None if estimate.target is None else estimate.target * pct,
        "verdict": estimate.verdict,
        "p_value_below_target": estimate.p_value_below_target,
        "flags": list(estimate.flags),
        "method": estimate.method,
        "level": estimate.level,
    }


def estimate_of(found: dict[str, Any]) -> Estimate:
    """The estimate a :func:`row` was written from (a stored publication's rows drawn again as charts); what a row
    does not keep (``members``, ``census``) takes its default."""
    pct = 100.0

    def share(name: str) -> float:
        value = found.get(name)
        return math.nan if value is None else float(value) / pct

    target = found.get("target_pct")
    return Estimate(
        metric=str(found["metric"]),
        kind=str(found["kind"]),
        estimate=share("estimate_pct"),
        se=share("se_pct"),
        low=share("ci_low_pct"),
        high=share("ci_high_pct"),
        n=int(found["n"]),
        n_eff=math.nan if found.get("n_eff") is None else float(found["n_eff"]),
        deff=math.nan if found.get("deff") is None else float(found["deff"]),
        df=int(found["df"]),
        method=str(found["method"]),
        level=float(found["level"]),
        target=None if target is None else float(target) / pct,
        verdict=found.get("verdict"),
        p_value_below_target=found.get("p_value_below_target"),
        flags=tuple(found.get("flags") or ()),
        deff_reference=found.get("deff_reference") or "srswor",
    )


def to_csv(rows: Sequence[dict[str, Any]], by: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*by, *COLUMNS])
    for item in rows:
        cells = [item[name] for name in by] + [item[name] for name in COLUMNS]
        writer.writerow([_cell(value) for value in cells])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=1)


def _optional(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _table_line(item: dict[str, Any], by: Sequence[str]) -> list[str]:
    return [
        *(str(item[name]) for name in by),
        item["metric"],
        f"{item['estimate_pct']:.2f}",
        f"[{item['ci_low_pct']:.2f}, {item['ci_high_pct']:.2f}]",
        str(item["n"]),
        _optional(item["n_eff"], ".0f"),
        _optional(item["deff"], ".2f"),
        str(item["df"]),
        item["verdict"] or "",
        _optional(item["p_value_below_target"], ".3f"),
        ",".join(item["flags"]),
    ]


def to_table(rows: Sequence[dict[str, Any]], by: Sequence[str]) -> str:
    """Two decimals, the interval in brackets; verdicts by the reliability rule ("insufficient_data")."""
    header = [*by, *TABLE_HEADER]
    if rows and rows[0]["level"] == 0.95:
        header[len(by) + 2] = "95% CI"
    lines = [header, *(_table_line(item, by) for item in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines)
    return "\n".join(text) + "\n"


# --- the same columns for people (the XLSX download's first sheet) -----------------------------------------------

Lang = Literal["vi", "en"]
Words = dict[str, dict[Lang, str]]

# Column headers; "{level}" is the confidence level ("95%"). A column missing here keeps its machine name.
HEADERS: Words = {
    "rank": {"vi": "Hạng", "en": "Rank"},
    "agency": {"vi": "Mã cơ quan", "en": "Agency code"},
    "agency_name": {"vi": "Cơ quan", "en": "Agency"},
    "counter": {"vi": "Mã quầy", "en": "Counter code"},
    "counter_name": {"vi": "Quầy", "en": "Counter"},
    "procedure_field": {"vi": "Mã lĩnh vực", "en": "Procedure field code"},
    "procedure_field_name": {"vi": "Lĩnh vực thủ tục", "en": "Procedure field"},
    "month": {"vi": "Tháng", "en": "Month"},
    "quarter": {"vi": "Quý", "en": "Quarter"},
    "channel": {"vi": "Kênh", "en": "Channel"},
    "hour": {"vi": "Giờ", "en": "Hour"},
    "weekday": {"vi": "Thứ (số, thứ Hai = 1)", "en": "Weekday (Monday = 1)"},
    "weekday_name": {"vi": "Thứ", "en": "Weekday"},
    "period": {"vi": "Kỳ", "en": "Period"},
    "name": {"vi": "Chỉ số", "en": "Indicator"},
    "estimate_pct": {"vi": "Mức độ hài lòng (%)", "en": "Satisfaction (%)"},
    "ci_low_pct": {"vi": "KTC {level}: cận dưới (%)", "en": "{level} CI: lower (%)"},
    "ci_high_pct": {"vi": "KTC {level}: cận trên (%)", "en": "{level} CI: upper (%)"},
    "se_pct": {"vi": "Sai số chuẩn (điểm %)", "en": "Standard error (points)"},
    "n": {"vi": "Số phiếu", "en": "Responses"},
    "n_eff": {"vi": "Cỡ mẫu hiệu dụng", "en": "Effective sample size"},
    "deff": {"vi": "Hệ số thiết kế", "en": "Design effect"},
    "df": {"vi": "Bậc tự do", "en": "Degrees of freedom"},
    "target_pct": {"vi": "Mục tiêu (%)", "en": "Target (%)"},
    "verdict": {"vi": "So với mục tiêu", "en": "Against the target"},
    "p_value_below_target": {"vi": "p một phía (dưới mục tiêu)", "en": "One-sided p (below target)"},
    "unreliable": {"vi": "Ít mẫu – chưa tin cậy", "en": "Small sample – not reliable"},
    "flags": {"vi": "Ghi chú độ tin cậy", "en": "Reliability notes"},
    "change_pct": {"vi": "Thay đổi so với kỳ trước (điểm %)", "en": "Change from the previous period (points)"},
    "change_significant": {"vi": "Thay đổi có ý nghĩa thống kê", "en": "Change statistically significant"},
    "distinct_from_next": {"vi": "Khác biệt có ý nghĩa với hạng sau", "en": "Significantly different from the next"},
    "alerts": {"vi": "Cảnh báo", "en": "Alerts"},
}
PROFILE_HEADERS: Words = {
    "code": {"vi": "Mã nhóm ({field})", "en": "Band code ({field})"},
    "name": {"vi": "Nhóm người trả lời ({field})", "en": "Respondents' band ({field})"},
}
# Machine columns people do not need (the full-precision sheet and the CSV keep them; the title block states the
# method and level once).
MACHINE_ONLY = frozenset({"indicator", "metric", "kind", "deff_reference", "df", "method", "level"})
# Display formats of numbers (the cell keeps the full value; the format rounds what is shown).
NUMBER_FORMATS = {
    "rank": "0",
    "estimate_pct": "0.00",
    "ci_low_pct": "0.00",
    "ci_high_pct": "0.00",
    "se_pct": "0.00",
    "n": "#,##0",
    "n_eff": "#,##0",
    "deff": "0.00",
    "df": "0",
    "target_pct": "0.00",
    "p_value_below_target": '[<0.001]"<0.001";0.000',
    "change_pct": "+0.00;-0.00;0.00",
}
# The verdicts in words, the one wording for the exports and the dashboard (its "verdict_*" words are these).
VERDICTS: Words = {
    "met": {"vi": "Đạt", "en": "Met"},
    "not_met": {"vi": "Chưa đạt", "en": "Not met"},
    "inconclusive": {"vi": "Chưa kết luận được", "en": "Inconclusive"},
    "insufficient_data": {"vi": "Chưa đủ dữ liệu", "en": "Not enough data"},
    "": {"vi": "Không có mục tiêu", "en": "No target"},  # verdict null: no target applies
}
FLAGS: Words = {
    "no_df": {"vi": "không có bậc tự do (một đơn vị mẫu)", "en": "no degrees of freedom (one PSU)"},
    "effective_n_below_30": {"vi": "cỡ mẫu hiệu dụng dưới 30", "en": "effective sample size below 30"},
    "ci_width_30_or_more": {"vi": "khoảng tin cậy rộng từ 30 điểm", "en": "interval 30 points wide or more"},
    "relative_ci_width_above_130": {
        "vi": "khoảng tin cậy quá rộng so với tỷ lệ",
        "en": "interval too wide for the rate",
    },
    "df_below_8": {"vi": "bậc tự do dưới 8 (cần xem xét)", "en": "fewer than 8 degrees of freedom (review)"},
    "interval_fallback": {"vi": "dùng khoảng Korn–Graubard", "en": "Korn–Graubard interval used"},
    "variance_fallback": {
        "vi": "phương sai bằng 0 do ngẫu nhiên: khoảng theo cỡ mẫu",
        "en": "zero variance by chance: interval from the sample size",
    },
}
ALERTS: Words = {
    "significant_drop": {"vi": "Giảm có ý nghĩa thống kê", "en": "Significant drop"},
    "below_target": {"vi": "Dưới mục tiêu", "en": "Below target"},
}
CHANNELS: Words = {
    "web_qr": {"vi": "Mã QR tại quầy (web)", "en": "QR code at the counter (web)"},
    "kiosk": {"vi": "Máy tính bảng tại quầy", "en": "Tablet at the counter"},
    "import": {"vi": "Nhập từ tệp khảo sát", "en": "Imported survey file"},
    "interview": {"vi": "Phỏng vấn", "en": "Interview"},
}
YES_NO: dict[bool, dict[Lang, str]] = {True: {"vi": "Có", "en": "Yes"}, False: {"vi": "Không", "en": "No"}}
NOT_RANKED: dict[Lang, str] = {"vi": "Không xếp hạng (ít mẫu)", "en": "Not ranked (small sample)"}


def header(column: str, lang: Lang, level: float | None) -> str:
    """A column's header for people ("KTC 95%: cận dưới (%)"); its machine name when it has none."""
    words = HEADERS.get(column)
    if words is None and column.startswith("profile:"):  # profile:age_band, profile:age_band_name
        field = column.removeprefix("profile:")
        if field.endswith("_name"):
            return PROFILE_HEADERS["name"][lang].format(field=field.removesuffix("_name"))
        return PROFILE_HEADERS["code"][lang].format(field=field)
    if words is None:
        return column
    return words[lang].replace("{level}", percent_label(level, lang))


def percent_label(level: float | None, lang: Lang) -> str:
    """A confidence level as people write it: 0.95 → "95%", 0.975 → "97,5%" (vi) or "97.5%" (en)."""
    if level is None:
        return ""
    text = f"{level * 100:.10g}"
    return (text.replace(".", ",") if lang == "vi" else text) + "%"


def words(column: str, value: Any, lang: Lang) -> Any:
    """A machine value as people read it: verdicts, flags, alerts and channels in words, booleans as Có/Không,
    an unranked row said so; numbers unchanged (their cell format rounds them for display)."""
    if column == "verdict":
        return VERDICTS.get(value or "", {}).get(lang, value)
    if column == "rank" and value is None:
        return NOT_RANKED[lang]
    if value is None:
        return None
    if isinstance(value, bool):
        return YES_NO[value][lang]
    vocabulary = {"flags": FLAGS, "alerts": ALERTS, "channel": CHANNELS}.get(column)
    if vocabulary is not None:
        parts = value if isinstance(value, list | tuple) else [value]
        return "; ".join(vocabulary.get(str(part), {}).get(lang, str(part)) for part in parts) or None
    return value
