"""The breakdowns page: procedure field, channel, question, profile, hour × weekday."""

from __future__ import annotations

from app.public.i18n import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "nav_breakdowns": {"vi": "Phân tích", "en": "Breakdowns"},
    "bd_link": {
        "vi": "Phân tích theo lĩnh vực, kênh, câu hỏi, người trả lời và giờ trong tuần →",
        "en": "Breakdowns by field, channel, question, respondent and time of week →",
    },
    "bd_title": {"vi": "Phân tích: {name}", "en": "Breakdowns: {name}"},
    "bd_back_agency": {"vi": "← Trang của cơ quan", "en": "← The agency's page"},
    "bd_intro": {
        "vi": "Chỉ số hài lòng chia theo lĩnh vực thủ tục, kênh trả lời, đặc điểm người trả lời và thời điểm "
        "trả lời; tỷ lệ hài lòng của từng câu hỏi.",
        "en": "The satisfaction index by procedure field, channel, respondent profile and time of answering; "
        "the satisfaction rate of every question.",
    },
    "bd_total": {
        "vi": "Chỉ số chung: {value} (khoảng tin cậy {level}: {low} – {high}).",
        "en": "Overall index: {value} ({level} interval: {low} – {high}).",
    },
    "bd_contents": {"vi": "Nội dung", "en": "Contents"},
    "bd_legend_bar": {"vi": "Thanh: chỉ số (từ 0%)", "en": "Bar: the index (from 0%)"},
    "bd_axis_note": {
        "vi": "Thanh bắt đầu từ 0%, trục 0–100%; vạch ngang là khoảng tin cậy 95%.",
        "en": "Bars start at 0% on a 0–100% axis; the whisker is the 95% interval.",
    },
    "bd_domains_note": {
        "vi": "Mỗi nhóm được ước lượng trong thiết kế mẫu của toàn bộ số liệu đã chọn (cùng trọng số, tầng và "
        "cụm), với cùng quy tắc độ tin cậy: nhóm ít mẫu được gạch chéo và không được so sánh. Các nhóm không "
        "được xếp hạng; hai nhóm chỉ khác nhau thật khi khoảng tin cậy của chúng tách rời rõ ràng.",
        "en": "Each group is estimated within the design of the whole selection (same weights, strata and "
        "clusters), under the same reliability rule: groups with too small a sample are hatched and not "
        "compared. Groups are not ranked; two groups differ only where their intervals are clearly apart.",
    },
    "bd_fields_title": {"vi": "Theo lĩnh vực thủ tục", "en": "By procedure field"},
    "bd_fields_chart": {
        "vi": "Chỉ số hài lòng theo lĩnh vực thủ tục",
        "en": "Satisfaction index by procedure field",
    },
    "bd_col_field": {"vi": "Lĩnh vực", "en": "Field"},
    "bd_not_stated": {"vi": "Không rõ (không trả lời)", "en": "Not stated"},
    "bd_channels_title": {"vi": "Theo kênh trả lời", "en": "By channel"},
    "bd_channels_chart": {"vi": "Chỉ số hài lòng theo kênh trả lời", "en": "Satisfaction index by channel"},
    "bd_items_title": {"vi": "Theo câu hỏi", "en": "By question"},
    "bd_items_chart": {"vi": "Tỷ lệ hài lòng của từng câu hỏi", "en": "Satisfaction rate of each question"},
    "bd_col_rate": {"vi": "Tỷ lệ hài lòng", "en": "Satisfied"},
    "bd_profiles_title": {"vi": "Theo đặc điểm người trả lời", "en": "By respondent profile"},
    "bd_profiles_note": {
        "vi": "Chỉ những đặc điểm mà ít nhất một người trong kỳ đã trả lời; người không trả lời thuộc nhóm “Không rõ”.",
        "en": "Only the characteristics at least one respondent of the period gave; those who did not form the "
        "“Not stated” group.",
    },
    "bd_col_band": {"vi": "Nhóm", "en": "Group"},
    "bd_no_profiles": {
        "vi": "Trong kỳ này không ai cho biết đặc điểm cá nhân (giới tính, độ tuổi, …): mẫu phiếu đang dùng "
        "không hỏi, hoặc người trả lời bỏ qua.",
        "en": "Nobody in this period gave a personal characteristic (sex, age, …): the form in use does not ask, "
        "or respondents skipped it.",
    },
    "bd_unstated_profiles": {
        "vi": "Không ai trả lời trong kỳ: {names}.",
        "en": "Nobody answered in this period: {names}.",
    },
    "bd_profile_sex": {"vi": "Giới tính", "en": "Sex"},
    "bd_profile_age_band": {"vi": "Độ tuổi", "en": "Age"},
    "bd_profile_ethnicity": {"vi": "Dân tộc", "en": "Ethnicity"},
    "bd_profile_education": {"vi": "Trình độ học vấn", "en": "Education"},
    "bd_profile_occupation": {"vi": "Nghề nghiệp", "en": "Occupation"},
    "bd_profile_residence": {"vi": "Nơi sinh sống", "en": "Area of residence"},
    "bd_clock_title": {"vi": "Theo giờ và ngày trong tuần", "en": "By hour and day of the week"},
    "bd_clock_note": {
        "vi": "Giờ địa phương lúc người dân gửi phiếu. Mỗi ô in số của nó, màu chỉ để nhìn nhanh.",
        "en": "Local time when the citizen sent the answer. Every cell prints its number; the colour is only "
        "a quick guide.",
    },
    "bd_answers_map": {"vi": "Số phiếu theo giờ và ngày", "en": "Responses by hour and day"},
    "bd_answers_map_note": {
        "vi": "Số phiếu hợp lệ: số đếm, không phải ước lượng.",
        "en": "Valid responses: a count, not an estimate.",
    },
    "bd_share_map": {
        "vi": "Tỷ lệ chưa hài lòng theo giờ và ngày",
        "en": "Share not satisfied by hour and day",
    },
    "bd_share_map_note": {
        "vi": "Tỷ lệ chưa hài lòng = 100% trừ chỉ số hài lòng của ô. Ô gạch chéo (⚠) có quá ít phiếu để tin "
        "cậy theo cùng quy tắc (áp dụng cho chính tỷ lệ được in) nên không in tỷ lệ; khoảng tin cậy của mọi ô "
        "ở bảng bên dưới.",
        "en": "Share not satisfied = 100% minus the cell's satisfaction index. Hatched cells (⚠) have too few "
        "answers to be reliable under the same rule (applied to the share shown), so no share is printed; every "
        "cell's interval is in the table below.",
    },
    "bd_share_details": {
        "vi": "Bảng số liệu đầy đủ (khoảng tin cậy từng ô)",
        "en": "Full table (each cell's interval)",
    },
    "bd_col_when": {"vi": "Ngày, giờ", "en": "Day, hour"},
    "bd_col_share": {"vi": "Chưa hài lòng", "en": "Not satisfied"},
    "bd_hour": {"vi": "Giờ", "en": "Hour"},
    "bd_scale": {"vi": "Thang màu: {title}", "en": "Colour scale: {title}"},
    "bd_cell_none": {"vi": "không có phiếu", "en": "no responses"},
    "bd_cell_unreliable": {"vi": "ít mẫu – chưa đủ dữ liệu", "en": "small sample – not enough data"},
    "bd_hours_hidden": {
        "vi": "Không có phiếu nào trong các giờ {hours} nên các giờ này không có dòng.",
        "en": "There were no responses at {hours}, so those hours have no row.",
    },
    "bd_day_1": {"vi": "Thứ Hai", "en": "Monday"},
    "bd_day_2": {"vi": "Thứ Ba", "en": "Tuesday"},
    "bd_day_3": {"vi": "Thứ Tư", "en": "Wednesday"},
    "bd_day_4": {"vi": "Thứ Năm", "en": "Thursday"},
    "bd_day_5": {"vi": "Thứ Sáu", "en": "Friday"},
    "bd_day_6": {"vi": "Thứ Bảy", "en": "Saturday"},
    "bd_day_7": {"vi": "Chủ nhật", "en": "Sunday"},
    "bd_day_short_1": {"vi": "T2", "en": "Mon"},
    "bd_day_short_2": {"vi": "T3", "en": "Tue"},
    "bd_day_short_3": {"vi": "T4", "en": "Wed"},
    "bd_day_short_4": {"vi": "T5", "en": "Thu"},
    "bd_day_short_5": {"vi": "T6", "en": "Fri"},
    "bd_day_short_6": {"vi": "T7", "en": "Sat"},
    "bd_day_short_7": {"vi": "CN", "en": "Sun"},
}
