"""Comparisons and rankings (app/dashboard/router_compare.py)."""

from __future__ import annotations

from app.public.i18n import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "nav_compare": {"vi": "So sánh", "en": "Comparisons"},
    "nav_rankings": {"vi": "Xếp hạng", "en": "Rankings"},
    "cmp_link": {
        "vi": "So sánh với kỳ trước, cùng kỳ năm trước và cơ quan cấp trên →",
        "en": "Compare with the previous period, the same period last year and the parent agency →",
    },
    "cmp_title": {"vi": "So sánh: {name}", "en": "Comparisons: {name}"},
    "cmp_intro": {
        "vi": "Chỉ số SIPAS và từng yếu tố của cơ quan (gồm các cơ quan trực thuộc) trong kỳ đã chọn, so với kỳ "
        "trước có cùng độ dài, với cùng kỳ năm trước và với phần còn lại của cơ quan cấp trên. Mặc định là 3 "
        "tháng trọn gần nhất.",
        "en": "The SIPAS index and each element of the agency (with the agencies below it) in the chosen period, "
        "against the previous period of the same length, the same period a year earlier and the rest of its "
        "parent agency. By default, the last three full months.",
    },
    "cmp_against_previous": {"vi": "So với kỳ trước", "en": "Against the previous period"},
    "cmp_against_last_year": {"vi": "So với cùng kỳ năm trước", "en": "Against the same period last year"},
    "cmp_against_parent": {"vi": "So với cơ quan cấp trên", "en": "Against the parent agency"},
    "cmp_side_now": {"vi": "Kỳ này", "en": "This period"},
    "cmp_side_previous": {"vi": "Kỳ trước", "en": "Previous period"},
    "cmp_side_last_year": {"vi": "Cùng kỳ năm trước", "en": "A year earlier"},
    "cmp_side_rest": {"vi": "Phần còn lại của {parent}", "en": "Rest of {parent}"},
    "cmp_periods": {
        "vi": "Kỳ này: {now}; kỳ so sánh: {other}.",
        "en": "This period: {now}; compared with: {other}.",
    },
    "cmp_periods_parent": {
        "vi": "Kỳ {now}: {name} so với phần còn lại của {parent}.",
        "en": "{now}: {name} against the rest of {parent}.",
    },
    "cmp_parent_note": {
        "vi": "“Phần còn lại” là toàn bộ {parent} trừ {name}. {name} là một phần của {parent}, nên so với con số "
        "chung của {parent} thì chênh lệch bị thu nhỏ theo tỷ trọng của chính {name}; so với phần còn lại là so "
        "hai mẫu độc lập.",
        "en": "“The rest” is all of {parent} except {name}. {name} is part of {parent}, so against {parent}'s "
        "overall figure the gap would shrink by {name}'s own share; against the rest, two independent samples "
        "are compared.",
    },
    "cmp_parent_whole": {
        "vi": "Để tham khảo: chỉ số chung của {parent} (gồm cả cơ quan này) là {value} (khoảng tin cậy {low} – "
        "{high}).",
        "en": "For reference: {parent}'s overall index (this agency included) is {value} (interval {low} – {high}).",
    },
    "cmp_col_metric": {"vi": "Chỉ tiêu", "en": "Measure"},
    "cmp_col_difference": {"vi": "Chênh lệch", "en": "Difference"},
    "cmp_col_interval": {"vi": "Khoảng tin cậy {level}", "en": "{level} interval"},
    "cmp_col_adjusted": {"vi": "Khoảng đã hiệu chỉnh", "en": "Adjusted interval"},
    "cmp_col_call": {"vi": "Kết luận", "en": "Reading"},
    "cmp_range": {"vi": "{low} đến {high}", "en": "{low} to {high}"},
    "cmp_points_unit": {"vi": "điểm", "en": "points"},
    "call_up": {"vi": "Tăng", "en": "Up"},
    "call_down": {"vi": "Giảm", "en": "Down"},
    "call_not_distinguishable": {"vi": "Không phân biệt được", "en": "Not distinguishable"},
    "call_insufficient_data": {"vi": "Chưa đủ dữ liệu", "en": "Not enough data"},
    "call_no_data": {"vi": "Không có số liệu", "en": "No data"},
    "cmp_family": {
        "vi": "{m} so sánh trong bảng được hiệu chỉnh cùng nhau (Benjamini–Hochberg, như mọi so sánh của hệ "
        "thống): khoảng đã hiệu chỉnh ở mức {level} thay cho {base}; {r} chênh lệch có ý nghĩa.",
        "en": "The table's {m} comparisons are adjusted together (Benjamini–Hochberg, as every comparison of the "
        "service): adjusted intervals at {level} instead of {base}; {r} differences are significant.",
    },
    "cmp_no_family": {
        "vi": "Không có dòng nào đủ dữ liệu ở cả hai phía để so sánh.",
        "en": "No row has enough data on both sides to be compared.",
    },
    "cmp_need_period": {
        "vi": "Hãy chọn cả ngày bắt đầu và ngày kết thúc để so sánh với kỳ trước hoặc cùng kỳ năm trước.",
        "en": "Choose both a first and a last day to compare with the previous period or last year.",
    },
    "cmp_too_long": {
        "vi": "Kỳ đã chọn dài hơn một năm nên trùng với cùng kỳ năm trước; hãy chọn tối đa 12 tháng.",
        "en": "The period is longer than a year, so it overlaps the same period a year earlier; choose at most "
        "twelve months.",
    },
    "cmp_no_parent": {
        "vi": "{name} không có cơ quan cấp trên để so sánh.",
        "en": "{name} has no parent agency to compare with.",
    },
    "cmp_parent_outside": {
        "vi": "Cơ quan cấp trên nằm ngoài phạm vi của Ông/Bà nên không hiển thị số liệu để so sánh.",
        "en": "The parent agency is outside your scope, so its figures are not shown.",
    },
    "cmp_chart": {
        "vi": "chênh lệch (điểm phần trăm) và khoảng tin cậy đã hiệu chỉnh",
        "en": "differences (percentage points) with their adjusted intervals",
    },
    "cmp_chart_caption": {
        "vi": "Chấm: chênh lệch (kỳ này trừ phía so sánh); vạch ngang: khoảng tin cậy đã hiệu chỉnh; đường đậm: 0 "
        "(không thay đổi).",
        "en": "Dot: the difference (this period minus the other side); whisker: the adjusted interval; bold "
        "line: 0 (no change).",
    },
    "cmp_axis_note": {
        "vi": "Trục từ −{span} đến +{span} điểm, chung cho cả trang và đủ rộng để không cắt khoảng nào.",
        "en": "The axis runs from −{span} to +{span} points, the same for the whole page and wide enough that no "
        "interval is cut.",
    },
    "cmp_chart_insufficient": {"vi": "chưa đủ dữ liệu", "en": "not enough data"},
    "cmp_chart_no_data": {"vi": "không có số liệu", "en": "no data"},
    "cmp_calls_explain": {
        "vi": "“Tăng” hay “Giảm” chỉ khi khoảng tin cậy đã hiệu chỉnh không chứa 0; nếu chứa 0 thì “Không phân "
        "biệt được”: số liệu chưa cho thấy có thay đổi. Khi một trong hai phía ít mẫu – chưa tin cậy, dòng đó "
        "không được so sánh (“Chưa đủ dữ liệu”).",
        "en": "“Up” or “Down” only when the adjusted interval excludes 0; when it contains 0, “Not "
        "distinguishable”: the data show no change. When either side is a small sample – not reliable – the "
        "row is not compared (“Not enough data”).",
    },
    "cmp_no_answers": {"vi": "chưa có phiếu", "en": "no responses"},
    "cmp_reset": {"vi": "Mặc định (3 tháng trọn gần nhất)", "en": "Default (the last three full months)"},
    "rank_link": {"vi": "Xếp hạng các cơ quan trực thuộc →", "en": "Rank the agencies below →"},
    "rank_title": {"vi": "Xếp hạng cơ quan", "en": "Agency rankings"},
    "rank_intro": {
        "vi": "Các cơ quan xếp theo chỉ số, mỗi cơ quan với khoảng tin cậy. Các cơ quan mà số liệu không phân "
        "biệt được với cơ quan liền kề được gộp thành nhóm (tô nền, có ngoặc) và cùng chung một khoảng hạng: "
        "thứ tự trong nhóm không phải là bằng chứng. Cơ quan ít mẫu – chưa tin cậy được liệt kê riêng, không "
        "xếp hạng.",
        "en": "Agencies ordered by their index, each with its interval. Agencies the data cannot tell apart "
        "from their neighbour form a group (shaded, bracketed) and share a range of places: the order within "
        "a group is not evidence. Agencies with a small sample – not reliable – are listed apart, unranked.",
    },
    "rank_agency": {"vi": "Cơ quan cấp trên", "en": "Parent agency"},
    "rank_level": {"vi": "Xếp hạng", "en": "Rank"},
    "rank_level_children": {"vi": "Các cơ quan trực thuộc", "en": "The agencies directly below"},
    "rank_level_ministry": {"vi": "Các bộ, ngành", "en": "Ministries"},
    "rank_level_province": {"vi": "Các tỉnh, thành phố", "en": "Provinces"},
    "rank_level_department": {"vi": "Các sở, ngành", "en": "Departments"},
    "rank_level_commune": {"vi": "Các xã, phường", "en": "Communes and wards"},
    "rank_level_other": {"vi": "Các đơn vị khác", "en": "Other units"},
    "rank_scope": {
        "vi": "{indicator} – cơ quan thuộc {scope}.",
        "en": "{indicator} – agencies under {scope}.",
    },
    "rank_chart": {"vi": "Xếp hạng theo {indicator}", "en": "Ranked by {indicator}"},
    "rank_chart_caption": {
        "vi": "Chấm: chỉ số; vạch ngang: khoảng tin cậy; dải tô nền có ngoặc: nhóm không phân biệt được.",
        "en": "Dot: the index; whisker: its interval; shaded, bracketed band: a group not distinguishable.",
    },
    "rank_axis_note": {
        "vi": "Trục bắt đầu từ {start} (điểm và khoảng, không phải thanh), vẫn bao trọn mọi khoảng tin cậy và "
        "mục tiêu.",
        "en": "The axis starts at {start} (dots and intervals, not bars) and still takes in every interval and target.",
    },
    "rank_summary": {
        "vi": "{ranked} cơ quan được xếp hạng, {groups} nhóm không phân biệt được; {unranked} cơ quan chưa đủ dữ liệu",
        "en": "{ranked} agencies ranked, {groups} groups not distinguishable; {unranked} agencies without enough data",
    },
    "rank_col_place": {"vi": "Hạng", "en": "Place"},
    "rank_col_group": {"vi": "Phân biệt với cơ quan liền kề", "en": "Against its neighbours"},
    "rank_group": {
        "vi": "Nhóm {band}: {size} cơ quan không phân biệt được",
        "en": "Group {band}: {size} agencies not distinguishable",
    },
    "rank_alone": {"vi": "Khác biệt rõ với cơ quan liền kề", "en": "Distinct from its neighbours"},
    "rank_groups_note": {
        "vi": "{groups} nhóm cơ quan không phân biệt được với nhau: trong mỗi nhóm, các cơ quan chung khoảng hạng.",
        "en": "{groups} groups of agencies cannot be told apart: within each group they share the range of places.",
    },
    "rank_no_groups": {
        "vi": "Mỗi cơ quan đều khác biệt rõ với cơ quan liền kề.",
        "en": "Every agency is distinct from its neighbours.",
    },
    "rank_none": {
        "vi": "Không có cơ quan nào đủ dữ liệu để xếp hạng trong kỳ này.",
        "en": "No agency has enough data to be ranked in this period.",
    },
    "rank_unranked_title": {"vi": "Chưa đủ dữ liệu để xếp hạng", "en": "Not enough data to rank"},
    "rank_unranked_note": {
        "vi": "Các cơ quan này ít mẫu – chưa tin cậy (quy tắc độ tin cậy): con số chỉ để tham khảo, không xếp "
        "hạng và không so sánh.",
        "en": "These agencies have small samples – not reliable (the reliability rule): their figures are for "
        "reference only, neither ranked nor compared.",
    },
    "rank_no_data_note": {
        "vi": "Cơ quan không có phiếu trong kỳ không được liệt kê.",
        "en": "Agencies without responses in the period are not listed.",
    },
    "rank_compare_link": {"vi": "So sánh", "en": "Compare"},
    "rank_too_early": {
        "vi": "Kỳ trước có cùng độ dài sẽ bắt đầu trước năm 1; hãy chọn ngày bắt đầu muộn hơn.",
        "en": "The previous period of the same length would start before year 1; choose a later first day.",
    },
}
