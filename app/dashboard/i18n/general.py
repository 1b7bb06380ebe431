"""Words every dashboard page uses: the frame, login, filters, figures, verdicts, the overview and an agency's page."""

from __future__ import annotations

from app.public.i18n import Lang
from app.reports.output import VERDICTS

MESSAGES: dict[str, dict[Lang, str]] = {
    "app": {"vi": "SIPAS – Bảng điều khiển", "en": "SIPAS dashboard"},
    "switch": {"vi": "English", "en": "Tiếng Việt"},
    "switch_label": {"vi": "Switch to English", "en": "Chuyển sang tiếng Việt"},
    "skip": {"vi": "Bỏ qua, đến nội dung chính", "en": "Skip to main content"},
    "nav_label": {"vi": "Điều hướng chính", "en": "Main navigation"},
    "nav_overview": {"vi": "Tổng quan", "en": "Overview"},
    "nav_counters": {"vi": "Quầy và mã QR", "en": "Counters and QR codes"},
    "nav_devices": {"vi": "Máy tính bảng", "en": "Kiosks"},
    "scope": {"vi": "Phạm vi", "en": "Scope"},
    "national": {"vi": "Toàn quốc", "en": "Nationwide"},
    "signed_in_as": {"vi": "Đăng nhập: {name}", "en": "Signed in as {name}"},
    "logout": {"vi": "Đăng xuất", "en": "Log out"},
    "footer": {
        "vi": "Số liệu tính theo phương pháp SIPAS (Quyết định 1001/QĐ-BNV): tỷ lệ hài lòng là tỷ lệ trả lời mức 4–5 "
        "trên số người trả lời; khoảng tin cậy {level} ({method}) theo thiết kế phân tầng cơ quan × tháng, cụm quầy "
        "× tuần; “đạt” khi cận dưới ≥ mục tiêu, “chưa đạt” khi cận trên < mục tiêu.",
        "en": "Figures follow the SIPAS method (Decision 1001/QĐ-BNV): the satisfaction rate is the share of answers "
        "at levels 4–5 among those who answered; {level} intervals ({method}) follow the design (strata: agency × "
        "month; clusters: counter × week); “met” when the lower bound ≥ the target, “not met” when the upper bound "
        "< the target.",
    },
    "method_link": {"vi": "Cách tính các con số →", "en": "How the figures are computed →"},
    "replica_lag": {
        "vi": "Số liệu đọc từ bản sao cơ sở dữ liệu, có thể chậm khoảng {seconds} giây so với bản chính.",
        "en": "Figures are read from a database replica and may be about {seconds} s behind the primary.",
    },
    # charts, targets and rows that say what they are (issue 17)
    "own_responses_label": {"vi": "{name} (riêng cơ quan này)", "en": "{name} (this agency alone)"},
    "parents_without_own": {
        "vi": "{name} không có phiếu của riêng cơ quan mình trong kỳ nên không có dòng trong bảng; chỉ số chung ở "
        "đầu trang gộp phiếu của các cơ quan trực thuộc.",
        "en": "{name} has no responses of its own in this period, so it has no row in the table; the headline above "
        "pools the responses of the agencies below it.",
    },
    "parents_without_own_link": {"vi": "Xem chi tiết {name} →", "en": "Details of {name} →"},
    "targets_per_row": {
        "vi": "mỗi dòng so với mục tiêu của chính nó (vạch đứt nét trên từng dòng)",
        "en": "each row against its own target (a dashed mark on each row)",
    },
    "metric_targets_none": {
        "vi": "Chưa đặt mục tiêu riêng cho các dòng này, nên bảng ghi “Không có mục tiêu” và biểu đồ không vẽ đường "
        "mục tiêu. Mục tiêu {value} là của chỉ số SIPAS chung (ở đầu trang), không phải của từng yếu tố hay câu hỏi.",
        "en": "No target is set for these rows, so the table reads “No target” and the chart draws no target line. "
        "The {value} target is the overall SIPAS index's (at the top of the page), not each element's or question's.",
    },
    "axis_note": {
        "vi": "Thanh bắt đầu từ 0%; trục của mọi biểu đồ thanh là 0–100%.",
        "en": "Bars start at 0%; every bar chart's axis runs from 0 to 100%.",
    },
    "trend_axis_note": {
        "vi": "Trục dọc bắt đầu từ {start}, vẫn bao trọn mọi khoảng tin cậy và mục tiêu.",
        "en": "The vertical axis starts at {start} and still takes in every interval and target.",
    },
    # login
    "login_title": {"vi": "Đăng nhập cho cán bộ", "en": "Officials' login"},
    "username": {"vi": "Tên đăng nhập", "en": "Username"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "login": {"vi": "Đăng nhập", "en": "Log in"},
    "login_wrong": {"vi": "Sai tên đăng nhập hoặc mật khẩu.", "en": "Wrong username or password."},
    "login_missing": {
        "vi": "Vui lòng nhập tên đăng nhập và mật khẩu.",
        "en": "Please enter your username and password.",
    },
    "login_locked": {
        "vi": "Quá nhiều lần đăng nhập sai từ mạng của Ông/Bà. Vui lòng thử lại sau {seconds} giây.",
        "en": "Too many failed logins from your network. Please try again in {seconds} seconds.",
    },
    "logged_out": {"vi": "Đã đăng xuất.", "en": "You have logged out."},
    "login_needed": {"vi": "Vui lòng đăng nhập để xem trang này.", "en": "Please log in to see this page."},
    # filters
    "filters": {"vi": "Bộ lọc", "en": "Filters"},
    "from": {"vi": "Từ ngày", "en": "From"},
    "to": {"vi": "Đến ngày", "en": "To"},
    "channel": {"vi": "Kênh", "en": "Channel"},
    "form": {"vi": "Phiếu", "en": "Form"},
    "all_channels": {"vi": "Tất cả các kênh", "en": "All channels"},
    "auto_form": {"vi": "Phiếu có nhiều trả lời nhất", "en": "The most answered form"},
    "apply": {"vi": "Xem", "en": "Show"},
    "reset": {"vi": "Mặc định (12 tháng gần nhất)", "en": "Default (last 12 months)"},
    "bad_date": {"vi": "Ngày không hợp lệ: {value}", "en": "Not a valid date: {value}"},
    "bad_form": {"vi": "Không có phiếu {value}", "en": "No form {value}"},
    "bad_filters": {"vi": "Bộ lọc không hợp lệ: {message}", "en": "Invalid filters: {message}"},
    "channel_web_qr": {"vi": "Mã QR tại quầy (web)", "en": "QR code at the counter (web)"},
    "channel_kiosk": {"vi": "Máy tính bảng tại quầy", "en": "Tablet at the counter"},
    "channel_import": {"vi": "Nhập từ tệp khảo sát", "en": "Imported survey file"},
    "channel_interview": {"vi": "Phỏng vấn", "en": "Interview"},
    # figures
    "period": {"vi": "Kỳ số liệu: {start} – {end}", "en": "Period: {start} – {end}"},
    "period_all": {"vi": "Toàn bộ số liệu", "en": "All data"},
    "headline": {"vi": "Chỉ số hài lòng (SIPAS)", "en": "Satisfaction index (SIPAS)"},
    "interval": {"vi": "Khoảng tin cậy {level}: {low} – {high}", "en": "{level} interval: {low} – {high}"},
    "target": {"vi": "Mục tiêu", "en": "Target"},
    "target_value": {"vi": "Mục tiêu {value}", "en": "Target {value}"},
    "no_target": {"vi": "Chưa đặt mục tiêu", "en": "No target set"},
    "p_below": {
        "vi": "Giá trị p một phía (tỷ lệ thật dưới mục tiêu): {value}.",
        "en": "One-sided p-value (true rate below target): {value}.",
    },
    "unit_mean": {
        "vi": "Trung bình cộng các đơn vị (cách công bố): {value} (khoảng tin cậy {level}: {low} – {high})",
        "en": "Plain mean of units (published convention): {value} ({level} interval: {low} – {high})",
    },
    "uncounted": {
        "vi": "Chưa có số hồ sơ đã giải quyết cho một số tháng của: {names}. {n} phiếu của các tháng đó được tính "
        "với trọng số chung ΣN/Σn của cả lựa chọn.",
        "en": "No count of dossiers handled for some months of: {names}. {n} responses of those months were given "
        "the overall weight ΣN/Σn of the selection.",
    },
    "responses": {"vi": "{n} phiếu", "en": "{n} responses"},
    "responses_note": {
        "vi": "{n} phiếu hợp lệ; {spam} phiếu nghi spam và {test} phiếu thử không được tính.",
        "en": "{n} valid responses; {spam} suspected spam and {test} test responses are not counted.",
    },
    "sensitivity": {
        "vi": "Nếu tính cả {n} phiếu nghi spam, chỉ số sẽ là {value}. Quản trị viên xem xét và trả lại hoặc xác nhận "
        "các phiếu này trong hàng đợi phiếu bị gắn cờ.",
        "en": "Counting the {n} suspected spam responses too, the index would be {value}. Administrators review them "
        "(release or confirm) in the flagged-responses queue.",
    },
    "weighted": {
        "vi": "Có trọng số theo số hồ sơ đã giải quyết (N/n).",
        "en": "Weighted by dossiers handled (N/n).",
    },
    "unweighted": {"vi": "Không trọng số (chưa có số hồ sơ).", "en": "Unweighted (no dossier counts)."},
    "no_data": {"vi": "Chưa có phiếu trong kỳ này.", "en": "No responses in this period."},
    "no_data_short": {"vi": "chưa có phiếu", "en": "no responses"},
    # verdict_met, verdict_not_met, …, verdict_none: the exports' words, one wording for both
    **{f"verdict_{code or 'none'}": words for code, words in VERDICTS.items()},
    "verdict_explain_met": {
        "vi": "Cận dưới của khoảng tin cậy đạt mục tiêu.",
        "en": "The lower bound of the interval reaches the target.",
    },
    "verdict_explain_not_met": {
        "vi": "Cận trên của khoảng tin cậy vẫn dưới mục tiêu.",
        "en": "Even the upper bound of the interval is below the target.",
    },
    "verdict_explain_inconclusive": {
        "vi": "Khoảng tin cậy chứa mục tiêu: chưa đủ bằng chứng để kết luận.",
        "en": "The interval contains the target: not enough evidence either way.",
    },
    "verdict_explain_insufficient_data": {
        "vi": "Con số dựa trên quá ít câu trả lời (cỡ mẫu hiệu dụng dưới 30, không có bậc tự do, hoặc khoảng tin cậy "
        "quá rộng) nên chưa thể so với mục tiêu.",
        "en": "The figure rests on too few answers (effective sample under 30, no degrees of freedom, or an interval "
        "too wide) to be compared with the target.",
    },
    "unreliable": {"vi": "ít mẫu – chưa tin cậy", "en": "small sample – not reliable"},
    "unreliable_note": {
        "vi": "Ước lượng “ít mẫu – chưa tin cậy” (gạch chéo, màu xám) không đạt chuẩn NCHS (cỡ mẫu hiệu dụng < 30, "
        "không có bậc tự do, hoặc khoảng tin cậy quá rộng): chỉ để tham khảo, không so với mục tiêu (○ Chưa đủ dữ "
        "liệu) và không xếp hạng.",
        "en": "Estimates marked “small sample – not reliable” (hatched, grey) fail the NCHS standard (effective sample "
        "size below 30, no degrees of freedom, or an interval too wide): for reference only, not compared with the "
        "target (○ Not enough data) and not ranked.",
    },
    "count_met": {"vi": "Đạt mục tiêu: {met}/{judged}", "en": "Target met: {met} of {judged}"},
    "count_insufficient": {
        "vi": "{n} chưa đủ dữ liệu (không tính)",
        "en": "{n} with not enough data (not counted)",
    },
    "legend": {"vi": "Chú giải", "en": "Legend"},
    "legend_whisker": {"vi": "Vạch ngang: khoảng tin cậy", "en": "Whisker: confidence interval"},
    "legend_target": {"vi": "Đường đứt nét: mục tiêu", "en": "Dashed line: target"},
    # overview
    "overview_title": {"vi": "Tổng quan mức độ hài lòng", "en": "Satisfaction overview"},
    "agencies_title": {"vi": "Các cơ quan trong phạm vi", "en": "Agencies in scope"},
    "agencies_chart": {
        "vi": "Chỉ số hài lòng theo cơ quan, với khoảng tin cậy và mục tiêu",
        "en": "Satisfaction index by agency, with intervals and the target",
    },
    "agencies_without_data": {
        "vi": "{n} cơ quan chưa có phiếu trong kỳ (xem bảng).",
        "en": "{n} agencies have no responses in this period (see the table).",
    },
    "scope_detail": {
        "vi": "Xem chi tiết toàn phạm vi: yếu tố, câu hỏi, quầy và diễn biến theo tháng →",
        "en": "Details for the whole scope: elements, questions, counters and the monthly trend →",
    },
    "sort_by": {"vi": "Sắp xếp theo", "en": "Sort by"},
    "sort_estimate": {"vi": "Chỉ số (cao → thấp)", "en": "Index (high → low)"},
    "sort_low": {"vi": "Cận dưới (cao → thấp)", "en": "Lower bound (high → low)"},
    "sort_name": {"vi": "Tên (A → Z)", "en": "Name (A → Z)"},
    "sort_ascending": {"vi": "Chỉ số (thấp → cao)", "en": "Index (low → high)"},
    "table_of": {"vi": "Bảng số liệu: {title}", "en": "Data table: {title}"},
    "col_agency": {"vi": "Cơ quan", "en": "Agency"},
    "col_code": {"vi": "Mã", "en": "Code"},
    "col_metric": {"vi": "Tiêu chí", "en": "Measure"},
    "col_counter": {"vi": "Quầy", "en": "Counter"},
    "col_month": {"vi": "Tháng", "en": "Month"},
    "col_estimate": {"vi": "Chỉ số", "en": "Index"},
    "col_low": {"vi": "Cận dưới", "en": "Lower"},
    "col_high": {"vi": "Cận trên", "en": "Upper"},
    "col_n": {"vi": "Số phiếu", "en": "Responses"},
    "col_n_eff": {"vi": "Cỡ mẫu hiệu dụng", "en": "Effective n"},
    "col_verdict": {"vi": "So với mục tiêu", "en": "Against target"},
    "col_reliability": {"vi": "Độ tin cậy", "en": "Reliability"},
    "col_alerts": {"vi": "Cảnh báo", "en": "Alerts"},
    "col_change": {"vi": "Thay đổi so với tháng trước", "en": "Change from previous month"},
    "reliable": {"vi": "đủ tin cậy", "en": "reliable"},
    "downloads": {"vi": "Tải số liệu", "en": "Download"},
    "download_csv": {"vi": "Tải CSV", "en": "Download CSV"},
    "download_xlsx": {"vi": "Tải XLSX", "en": "Download XLSX"},
    "rankings_download": {"vi": "Xếp hạng (XLSX)", "en": "Rankings (XLSX)"},
    # agency
    "agency_title": {"vi": "{name}", "en": "{name}"},
    "includes_below": {
        "vi": "Gồm cả {n} cơ quan trực thuộc.",
        "en": "Includes the {n} agencies below it.",
    },
    "elements_title": {"vi": "Các yếu tố", "en": "Elements"},
    "elements_chart": {
        "vi": "Tỷ lệ hài lòng theo yếu tố và chỉ số thành phần",
        "en": "Satisfaction by element and component",
    },
    "items_title": {"vi": "Các câu hỏi", "en": "Questions"},
    "items_chart": {"vi": "Tỷ lệ hài lòng theo câu hỏi", "en": "Satisfaction by question"},
    "counters_title": {"vi": "Các quầy", "en": "Counters"},
    "counters_chart": {"vi": "Chỉ số hài lòng theo quầy", "en": "Satisfaction index by counter"},
    "trend_title": {"vi": "Diễn biến theo tháng", "en": "Monthly trend"},
    "trend_chart": {
        "vi": "Chỉ số hài lòng theo tháng, dải khoảng tin cậy và mục tiêu",
        "en": "Satisfaction index by month, with the interval band and the target",
    },
    "weakest": {"vi": "Thấp nhất", "en": "Lowest"},
    "weakest_element": {
        "vi": "Yếu tố kéo chỉ số xuống nhiều nhất: {name} ({value}).",
        "en": "The element pulling the index down most: {name} ({value}).",
    },
    "weakest_item": {"vi": "Câu hỏi thấp nhất: {name} ({value}).", "en": "Lowest question: {name} ({value})."},
    "component": {"vi": "Chỉ số thành phần", "en": "Component index"},
    "alert_significant_drop": {
        "vi": "giảm có ý nghĩa thống kê so với tháng trước",
        "en": "significant drop from the previous month",
    },
    "alert_below_target": {"vi": "dưới mục tiêu", "en": "below target"},
    "legend_drop": {"vi": "▼ giảm có ý nghĩa thống kê", "en": "▼ significant drop"},
    "trend_note": {
        "vi": "Mỗi tháng chỉ được so với tháng trước khi cả hai tháng đủ dữ liệu; “▼” khi mức giảm vẫn có ý nghĩa "
        "sau khi hiệu chỉnh Benjamini–Hochberg cho mọi so sánh của chuỗi.",
        "en": "A month is compared with the previous one only when both have enough data; “▼” when the drop is still "
        "significant after the Benjamini–Hochberg adjustment over every comparison of the series.",
    },
    "legend_band": {"vi": "Dải màu: khoảng tin cậy", "en": "Shaded band: confidence interval"},
    "back": {"vi": "← Tổng quan", "en": "← Overview"},
    "poster": {"vi": "Áp phích QR", "en": "QR poster"},
    "counters_page_title": {"vi": "Quầy và mã QR", "en": "Counters and QR codes"},
    "counters_page_intro": {
        "vi": "Mỗi quầy có một mã QR dẫn đến phiếu đánh giá. In áp phích để dán tại quầy.",
        "en": "Each counter has a QR code that opens the feedback form. Print its poster for the desk.",
    },
    "col_status": {"vi": "Trạng thái", "en": "Status"},
    "active": {"vi": "Đang dùng", "en": "Active"},
    "inactive": {"vi": "Ngừng dùng", "en": "Inactive"},
    "no_counters": {"vi": "Chưa có quầy nào.", "en": "No counters yet."},
    "devices_page_title": {"vi": "Máy tính bảng tại quầy", "en": "Kiosks at counters"},
    "devices_page_intro": {
        "vi": "Lần cuối máy báo về, số phiếu còn chờ gửi và số phiếu bị giữ lại (theo nhịp báo gần nhất).",
        "en": "When each kiosk last reported, how many answers wait to be sent and how many it holds back "
        "(as of its last heartbeat).",
    },
    "col_device": {"vi": "Thiết bị", "en": "Device"},
    "col_last_seen": {"vi": "Báo về lần cuối", "en": "Last seen"},
    "col_queue": {"vi": "Chờ gửi", "en": "Waiting"},
    "col_held_back": {"vi": "Giữ lại", "en": "Held back"},
    "col_version": {"vi": "Phiên bản", "en": "Version"},
    "never": {"vi": "chưa bao giờ", "en": "never"},
    "revoked": {"vi": "Đã thu hồi {when}", "en": "Revoked {when}"},
    "no_devices": {"vi": "Chưa có máy tính bảng nào.", "en": "No kiosks yet."},
}
