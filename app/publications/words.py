"""The printed report's own words, Vietnamese first (verdicts, flags and chart words are the dashboard's)."""

from __future__ import annotations

from app.public.i18n import Lang

WORDS: dict[str, dict[Lang, str]] = {
    "title": {
        "vi": "Báo cáo Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)",
        "en": "Report on satisfaction with public administrative services (SIPAS)",
    },
    "national": {"vi": "Toàn quốc", "en": "The whole country"},
    "period": {"vi": "Kỳ báo cáo: {start} – {end}", "en": "Period: {start} – {end}"},
    "headline": {"vi": "Chỉ số SIPAS", "en": "SIPAS index"},
    "interval": {"vi": "Khoảng tin cậy {level}: {low} – {high}", "en": "{level} confidence interval: {low} – {high}"},
    "based_on": {"vi": "Dựa trên {n} ý kiến của người dân", "en": "Based on {n} citizens' answers"},
    "verdict_sentence_met": {
        "vi": "Đạt mục tiêu {target}: cận dưới của khoảng tin cậy không thấp hơn mục tiêu.",
        "en": "Target {target} met: the interval's lower bound reaches it.",
    },
    "verdict_sentence_not_met": {
        "vi": "Chưa đạt mục tiêu {target}: cả cận trên của khoảng tin cậy vẫn thấp hơn mục tiêu.",
        "en": "Target {target} not met: even the interval's upper bound is below it.",
    },
    "verdict_sentence_inconclusive": {
        "vi": "Chưa kết luận được so với mục tiêu {target}: khoảng tin cậy chứa mục tiêu.",
        "en": "Inconclusive against the target {target}: the interval contains it.",
    },
    "verdict_sentence_insufficient_data": {
        "vi": "Chưa đủ dữ liệu để so với mục tiêu {target}.",
        "en": "Not enough data to compare with the target {target}.",
    },
    "verdict_sentence_none": {"vi": "Không có mục tiêu cho kỳ này.", "en": "No target applies to this period."},
    "published": {
        "vi": "Công bố ngày {day} bởi {who}. Dữ liệu nhận đến {cutoff}.",
        "en": "Published on {day} by {who}. Data received up to {cutoff}.",
    },
    "summary": {"vi": "Tóm tắt", "en": "Summary"},
    "units_met": {"vi": "Đơn vị đạt mục tiêu ({n})", "en": "Units meeting the target ({n})"},
    "units_not_met": {"vi": "Đơn vị chưa đạt mục tiêu ({n})", "en": "Units below the target ({n})"},
    "units_inconclusive": {"vi": "Đơn vị chưa kết luận được ({n})", "en": "Units not yet conclusive ({n})"},
    "units_insufficient_data": {
        "vi": "Đơn vị chưa đủ dữ liệu – không xếp vào nhóm nào ({n})",
        "en": "Units without enough data – counted in no group ({n})",
    },
    "units_none": {"vi": "Đơn vị không có mục tiêu ({n})", "en": "Units without a target ({n})"},
    "nobody": {"vi": "Không có.", "en": "None."},
    "elements_best": {
        "vi": "Yếu tố được đánh giá cao nhất: {name} ({value}).",
        "en": "Best rated element: {name} ({value}).",
    },
    "elements_worst": {"vi": "Yếu tố thấp nhất: {name} ({value}).", "en": "Lowest element: {name} ({value})."},
    "since": {
        "vi": "So với kỳ công bố trước ({start} – {end}):",
        "en": "Compared with the previous publication ({start} – {end}):",
    },
    "no_previous": {
        "vi": "Chưa có kỳ công bố trước để so sánh.",
        "en": "There is no earlier publication to compare with.",
    },
    "change_up": {"vi": "{name}: tăng rõ rệt, {before} → {now}.", "en": "{name}: clearly higher, {before} → {now}."},
    "change_down": {"vi": "{name}: giảm rõ rệt, {before} → {now}.", "en": "{name}: clearly lower, {before} → {now}."},
    "change_none": {
        "vi": "{name}: {before} → {now}, không khác biệt rõ (hai khoảng tin cậy chồng lên nhau).",
        "en": "{name}: {before} → {now}, no clear change (the two intervals overlap).",
    },
    "charts": {"vi": "Biểu đồ", "en": "Charts"},
    "chart_agencies": {"vi": "Chỉ số SIPAS theo đơn vị", "en": "SIPAS index by unit"},
    "chart_elements": {"vi": "Chỉ số theo yếu tố", "en": "Index by element"},
    "chart_trend": {"vi": "Chỉ số SIPAS theo tháng", "en": "SIPAS index by month"},
    "target_line": {"vi": "Mục tiêu {target}", "en": "Target {target}"},
    "tables": {"vi": "Bảng số liệu", "en": "Tables"},
    "table_agencies": {"vi": "Chỉ số SIPAS theo đơn vị", "en": "SIPAS index by unit"},
    "table_elements": {"vi": "Chỉ số theo yếu tố (toàn bộ đơn vị)", "en": "Elements (all units)"},
    "table_items": {"vi": "Tỷ lệ hài lòng theo tiêu chí (toàn bộ đơn vị)", "en": "Items (all units)"},
    "left_out": {
        "vi": "Chưa đủ dữ liệu, không vẽ thành số: {names}.",
        "en": "Not enough data, not drawn as a number: {names}.",
    },
    "col_unit": {"vi": "Đơn vị", "en": "Unit"},
    "col_metric": {"vi": "Chỉ tiêu", "en": "Measure"},
    "col_rate": {"vi": "Tỷ lệ hài lòng", "en": "Satisfied"},
    "col_interval": {"vi": "Khoảng tin cậy", "en": "Interval"},
    "col_n": {"vi": "Số ý kiến", "en": "Answers"},
    "col_verdict": {"vi": "So với mục tiêu", "en": "Against target"},
    "not_enough": {"vi": "chưa đủ dữ liệu", "en": "not enough data"},
    "methods": {"vi": "Phương pháp", "en": "Methods"},
    "method_design": {"vi": "Thiết kế mẫu: {design}.", "en": "Design: {design}."},
    "method_weights_on": {
        "vi": "Trọng số: mỗi ý kiến đại diện cho N/n hồ sơ, N là số hồ sơ đơn vị đã giải quyết trong kỳ (số liệu "
        "dân số dưới đây), n là số ý kiến nhận được trong kỳ đó.",
        "en": "Weights: each answer stands for N/n dossiers, N the dossiers the unit handled in the period (the "
        "population counts below), n the answers it received in that period.",
    },
    "method_weights_off": {
        "vi": "Không có trọng số: chưa có số liệu hồ sơ đã giải quyết, mỗi ý kiến có trọng số như nhau.",
        "en": "Unweighted: without counts of dossiers handled, every answer weighs the same.",
    },
    "method_estimator": {
        "vi": "Ước lượng: tỷ lệ có trọng số (Hájek), tổng trọng số người hài lòng chia tổng trọng số người trả lời "
        "từng tiêu chí; chỉ số là trung bình cộng các tỷ lệ thành phần; phương sai theo thiết kế mẫu, tuyến tính hóa "
        "Taylor theo tầng và đơn vị mẫu bậc một, như gói survey của R.",
        "en": "Estimator: a weighted ratio (Hájek), the weighted satisfied over the weighted answers of each item; an "
        "index is the plain mean of its members' rates; design-based variances by Taylor linearisation over strata "
        "and primary units, as R's survey package.",
    },
    "method_interval": {
        "vi": "Khoảng tin cậy {level} theo phương pháp {method}, tính theo thiết kế mẫu (phương sai tuyến tính hóa).",
        "en": "{level} intervals by the {method} method, design-based (linearised variances).",
    },
    "method_insufficient": {
        "vi": "“Chưa đủ dữ liệu”: con số dựa trên quá ít ý kiến (cỡ mẫu hiệu dụng dưới 30, không có bậc tự do, hoặc "
        "khoảng tin cậy quá rộng theo chuẩn NCHS) nên không được in thành số, không so với mục tiêu và không "
        "xếp hạng.",
        "en": "“Not enough data”: the figure rests on too few answers (effective sample under 30, no degrees of "
        "freedom, or an interval too wide by the NCHS standard), so it is not printed as a number, not compared with "
        "the target and not ranked.",
    },
    "method_change": {
        "vi": "Một thay đổi so với kỳ trước được gọi là “rõ rệt” chỉ khi hai khoảng tin cậy không chồng lên nhau.",
        "en": "A change from the previous period is called “clear” only when the two intervals do not overlap.",
    },
    "method_counts": {
        "vi": "Số liệu hồ sơ đã giải quyết dùng cho trọng số: {n} dòng.",
        "en": "Population counts used: {n} rows.",
    },
    "method_form": {
        "vi": "Phiếu khảo sát: {form}. Mã phiên bản phần mềm: {code}.",
        "en": "Form: {form}. Code version: {code}.",
    },
    "method_hash": {
        "vi": "Mã băm SHA-256 của toàn bộ số liệu công bố: {hash}. Có thể kiểm tra lại bằng lệnh "
        "“sipas publication verify {id}”.",
        "en": "SHA-256 of everything published: {hash}. Check it with “sipas publication verify {id}”.",
    },
    "footer": {"vi": "SHA-256 {hash} · dữ liệu đến {cutoff}", "en": "SHA-256 {hash} · data up to {cutoff}"},
    "page": {"vi": "Trang", "en": "Page"},
    "signature": {"vi": "Xác nhận", "en": "Sign-off"},
    "prepared_by": {"vi": "Người lập báo cáo", "en": "Prepared by"},
    "approved_by": {"vi": "Thủ trưởng đơn vị", "en": "Head of the agency"},
    "sign_here": {"vi": "(Ký, ghi rõ họ tên)", "en": "(Signature and full name)"},
    "sign_seal": {"vi": "(Ký, ghi rõ họ tên, đóng dấu)", "en": "(Signature, full name and seal)"},
    "superseded": {
        "vi": "ĐÃ ĐƯỢC THAY THẾ bởi kỳ công bố số {id} ngày {day}: {reason}",
        "en": "SUPERSEDED by publication {id} on {day}: {reason}",
    },
    "results_title": {
        "vi": "Kết quả khảo sát sự hài lòng (SIPAS) đã công bố",
        "en": "Published satisfaction results (SIPAS)",
    },
    "results_intro": {
        "vi": "Chỉ số hài lòng của người dân với sự phục vụ hành chính mà các cơ quan đã chọn công bố, mỗi con số "
        "kèm khoảng tin cậy 95% và kết luận so với mục tiêu. Con số dựa trên quá ít ý kiến được ghi “chưa đủ dữ liệu”.",
        "en": "Citizens' satisfaction with administrative services as the agencies chose to publish it, each figure "
        "with its 95% confidence interval and its verdict against the target. A figure resting on too few answers "
        "reads “not enough data”.",
    },
    "search_label": {"vi": "Tìm cơ quan (có dấu hoặc không dấu)", "en": "Find an agency (with or without diacritics)"},
    "search_button": {"vi": "Tìm", "en": "Search"},
    "found": {"vi": "{n} trên {total} cơ quan", "en": "{n} of {total} agencies"},
    "no_match": {"vi": "Không có cơ quan nào khớp với “{q}”.", "en": "No agency matches “{q}”."},
    "nothing_yet": {"vi": "Chưa có kết quả nào được công bố.", "en": "Nothing has been published yet."},
    "col_agency": {"vi": "Cơ quan", "en": "Agency"},
    "col_period": {"vi": "Kỳ", "en": "Period"},
    "col_sipas": {"vi": "Chỉ số SIPAS", "en": "SIPAS index"},
    "history": {"vi": "Các kỳ đã công bố", "en": "Publications"},
    "this_one": {"vi": "(đang xem)", "en": "(this one)"},
    "replaced": {"vi": "đã được thay thế", "en": "superseded"},
    "downloads": {"vi": "Tải dữ liệu mở", "en": "Open data"},
    "report_link": {"vi": "Báo cáo in (PDF)", "en": "Printed report (PDF)"},
    "licence_line": {
        "vi": "Dữ liệu mở theo giấy phép {licence}. Cột dữ liệu được mô tả trong tài liệu của dịch vụ. Mã băm "
        "SHA-256 của kỳ công bố: {hash}; dữ liệu nhận đến {cutoff}.",
        "en": "Open data under {licence}. The columns are documented with the service. SHA-256 of the publication: "
        "{hash}; data received up to {cutoff}.",
    },
    "results_superseded": {
        "vi": "Kỳ công bố này đã được thay thế bởi kỳ công bố mới hơn.",
        "en": "This publication has been superseded by a later one.",
    },
    "see_successor": {"vi": "Xem kỳ công bố thay thế", "en": "See the publication that replaces it"},
    "back": {"vi": "Tất cả kết quả đã công bố", "en": "All published results"},
    "units": {"vi": "Theo đơn vị", "en": "By unit"},
    "measures": {"vi": "Theo yếu tố và tiêu chí (toàn bộ đơn vị)", "en": "By element and item (all units)"},
    "answers_line": {
        "vi": "{n} ý kiến của người dân; công bố ngày {day}.",
        "en": "{n} citizens' answers; published on {day}.",
    },
    "missing_title": {"vi": "Không có kết quả này", "en": "No such result"},
    "missing_body": {
        "vi": "Kỳ công bố này không tồn tại hoặc không được công bố công khai.",
        "en": "This publication does not exist or is not public.",
    },
    "other_language": {"vi": "English", "en": "Tiếng Việt"},
    "pb_title": {"vi": "Kết quả đã công bố", "en": "Publications"},
    "pb_intro": {
        "vi": "Mỗi kỳ công bố là số liệu của một kỳ được “đóng băng” cùng mọi thứ chúng phụ thuộc (số hồ sơ, mục "
        "tiêu, phiếu, thời điểm chốt dữ liệu) và mã băm SHA-256: ý kiến đến sau hay số liệu sửa sau không làm thay "
        "đổi nó.",
        "en": "A publication is a period's figures frozen with everything they depend on (counts, targets, form, "
        "data cut-off) and a SHA-256: answers arriving later or counts edited later never change it.",
    },
    "pb_none": {"vi": "Chưa có kỳ công bố nào.", "en": "Nothing has been published yet."},
    "pb_done": {"vi": "Đã công bố kỳ số {id}.", "en": "Publication {id} is published."},
    "pb_col_id": {"vi": "Số", "en": "No."},
    "pb_col_when": {"vi": "Công bố", "en": "Published"},
    "pb_col_state": {"vi": "Trạng thái", "en": "State"},
    "pb_col_files": {"vi": "Tệp", "en": "Files"},
    "pb_in_force": {"vi": "đang có hiệu lực", "en": "in force"},
    "pb_superseded": {"vi": "đã thay thế bởi số {id}", "en": "superseded by {id}"},
    "pb_public": {"vi": "công khai", "en": "public"},
    "pb_public_page": {"vi": "trang công khai", "en": "public page"},
    "pb_publish": {"vi": "Công bố một kỳ", "en": "Publish a period"},
    "pb_agency": {"vi": "Cơ quan (mặc định: toàn bộ phạm vi của bạn)", "en": "Agency (default: your whole scope)"},
    "pb_whole_scope": {"vi": "Toàn bộ phạm vi", "en": "The whole scope"},
    "pb_from": {"vi": "Từ ngày", "en": "From"},
    "pb_to": {"vi": "Đến ngày", "en": "To"},
    "pb_make_public": {
        "vi": "Công khai trên trang kết quả /ket-qua (dữ liệu mở)",
        "en": "Show it on the public results page /ket-qua (open data)",
    },
    "pb_supersedes": {"vi": "Thay thế kỳ công bố (không bắt buộc)", "en": "Supersedes (optional)"},
    "pb_nothing": {"vi": "Không thay thế", "en": "None"},
    "pb_reason": {"vi": "Lý do thay thế", "en": "Why it is replaced"},
    "pb_submit": {"vi": "Công bố", "en": "Publish"},
    "pb_problem": {"vi": "Chưa công bố được: {message}", "en": "Not published: {message}"},
    "pb_draft": {"vi": "bản nháp", "en": "draft"},
    "pb_publish_draft": {"vi": "Công bố bản nháp", "en": "Publish the draft"},
    "pb_schedules": {"vi": "Lịch tạo bản nháp", "en": "Scheduled drafts"},
    "pb_schedules_intro": {
        "vi": "Sau mỗi tháng hoặc quý, lệnh “sipas publish --due” (chạy định kỳ) tạo bản nháp của kỳ vừa kết thúc; "
        "bản nháp chỉ được công bố khi quản trị viên bấm “Công bố bản nháp”.",
        "en": "After each month or quarter, “sipas publish --due” (run by a timer) drafts the period that ended; a "
        "draft is published only when an administrator presses “Publish the draft”.",
    },
    "pb_schedule_line": {"vi": "Lịch số {id}: {agency}, {every}", "en": "Schedule {id}: {agency}, {every}"},
    "pb_every": {"vi": "Tần suất", "en": "Every"},
    "pb_every_month": {"vi": "hằng tháng", "en": "every month"},
    "pb_every_quarter": {"vi": "hằng quý", "en": "every quarter"},
    "pb_stopped": {"vi": "đã dừng ngày {day}", "en": "stopped on {day}"},
    "pb_stop": {"vi": "Dừng", "en": "Stop"},
    "pb_no_schedules": {"vi": "Chưa có lịch nào.", "en": "No schedule yet."},
    "pb_schedule_submit": {"vi": "Đặt lịch", "en": "Schedule"},
    "pb_scheduled": {"vi": "Đã đặt lịch tạo bản nháp.", "en": "The drafts are scheduled."},
    "draft_banner": {
        "vi": "BẢN NHÁP – chưa công bố: số liệu có thể còn được công bố khác đi.",
        "en": "DRAFT – not published: these figures may yet be published otherwise.",
    },
}


def say(key: str, lang: Lang, **values: object) -> str:
    return WORDS[key][lang].format(**values)
