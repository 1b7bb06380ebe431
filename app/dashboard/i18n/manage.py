"""The management pages: targets, population counts, officials (app/dashboard/router_manage.py)."""

from __future__ import annotations

from app.public.i18n import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    # management pages: targets, population counts, officials (issue 17; app/dashboard/router_manage.py)
    "nav_manage": {"vi": "Quản trị", "en": "Management"},
    "nav_publications": {"vi": "Công bố", "en": "Publications"},
    "mg_index_title": {"vi": "Quản trị", "en": "Management"},
    "mg_index_intro": {
        "vi": "Quản lý dữ liệu tham chiếu và tài khoản trong phạm vi {scope}. Mọi thay đổi được ghi vào nhật ký.",
        "en": "Manage reference data and accounts within {scope}. Every change is written to the audit log.",
    },
    "mg_index_targets": {"vi": "Mục tiêu", "en": "Targets"},
    "mg_index_targets_about": {
        "vi": "Ngưỡng tỷ lệ hài lòng mà mỗi cơ quan cần đạt (ví dụ SIPAS ≥ 86%), theo chỉ số và kỳ.",
        "en": "The satisfaction rate each agency should reach (e.g. SIPAS ≥ 86%), by indicator and period.",
    },
    "mg_index_counts": {"vi": "Số hồ sơ đã giải quyết", "en": "Population counts"},
    "mg_index_counts_about": {
        "vi": "Số hồ sơ mỗi cơ quan giải quyết trong kỳ, dùng làm trọng số; sửa từng số hoặc tải lên tệp CSV.",
        "en": "Dossiers each agency handled in a period, used for the weights; edit one or upload a CSV file.",
    },
    "mg_index_officials": {"vi": "Cán bộ", "en": "Officials"},
    "mg_index_officials_about": {
        "vi": "Tạo tài khoản, đặt lại mật khẩu, ngừng hoặc mở lại tài khoản.",
        "en": "Create accounts, reset passwords, deactivate or reactivate accounts.",
    },
    "mg_index_counters": {"vi": "Quầy và mã QR", "en": "Counters and QR codes"},
    "mg_index_counters_about": {
        "vi": "Các quầy tiếp nhận và áp phích mã QR của từng quầy.",
        "en": "The counters and each counter's QR poster.",
    },
    "mg_index_devices": {"vi": "Máy tính bảng", "en": "Kiosks"},
    "mg_index_devices_about": {
        "vi": "Máy tính bảng tại quầy: lần báo về cuối, phiếu chờ gửi.",
        "en": "Kiosks at the counters: last heartbeat, answers waiting.",
    },
    "mg_index_audit": {
        "vi": "Thay đổi được kiểm tra theo cùng quy tắc với API và ghi nhật ký kèm tên Ông/Bà.",
        "en": "Changes are checked by the same rules as the API and logged under your name.",
    },
    "mg_back_index": {"vi": "← Quản trị", "en": "← Management"},
    "mg_back_targets": {"vi": "← Mục tiêu", "en": "← Targets"},
    "mg_back_counts": {"vi": "← Số hồ sơ đã giải quyết", "en": "← Population counts"},
    "mg_back_officials": {"vi": "← Cán bộ", "en": "← Officials"},
    "mg_done_created": {"vi": "Đã thêm.", "en": "Added."},
    "mg_done_updated": {"vi": "Đã lưu thay đổi.", "en": "Changes saved."},
    "mg_done_deleted": {"vi": "Đã xoá.", "en": "Deleted."},
    "mg_done_password": {
        "vi": "Đã đặt lại mật khẩu; các phiên đăng nhập đang mở của tài khoản này đã bị đóng.",
        "en": "Password reset; the account's open sessions were closed.",
    },
    "mg_done_deactivated": {
        "vi": "Đã ngừng tài khoản; các phiên đăng nhập đang mở đã bị đóng.",
        "en": "Account deactivated; its open sessions were closed.",
    },
    "mg_done_reactivated": {"vi": "Đã mở lại tài khoản.", "en": "Account reactivated."},
    "mg_problems_title": {"vi": "Chưa lưu – cần sửa {n} chỗ:", "en": "Not saved – {n} thing(s) to fix:"},
    "mg_err_required": {"vi": "bắt buộc nhập", "en": "required"},
    "mg_err_too_long": {"vi": "quá dài (tối đa {limit} ký tự)", "en": "too long (at most {limit} characters)"},
    "mg_err_date": {"vi": "không phải ngày hợp lệ (YYYY-MM-DD)", "en": "not a valid date (YYYY-MM-DD)"},
    "mg_err_number": {"vi": "không phải số", "en": "not a number"},
    "mg_err_whole": {"vi": "phải là số nguyên", "en": "must be a whole number"},
    "mg_err_at_least": {"vi": "phải từ {limit} trở lên", "en": "must be at least {limit}"},
    "mg_err_at_most": {"vi": "phải không quá {limit}", "en": "must be at most {limit}"},
    "mg_err_choice": {"vi": "không phải lựa chọn hợp lệ", "en": "not one of the choices"},
    "mg_err_no_file": {"vi": "chưa chọn tệp, hoặc tệp rỗng", "en": "no file chosen, or the file is empty"},
    "mg_field_agency": {"vi": "Cơ quan", "en": "Agency"},
    "mg_field_indicator": {"vi": "Chỉ số", "en": "Indicator"},
    "mg_field_period_start": {"vi": "Từ ngày", "en": "From"},
    "mg_field_period_end": {"vi": "Đến ngày (tính cả ngày này)", "en": "To (included)"},
    "mg_field_threshold_pct": {"vi": "Mục tiêu (%)", "en": "Target (%)"},
    "mg_field_applies_to_subtree": {
        "vi": "Áp dụng cả cho các cơ quan trực thuộc (trừ cơ quan có mục tiêu riêng)",
        "en": "Also applies to the agencies below (unless they have their own target)",
    },
    "mg_field_dossiers_handled": {"vi": "Số hồ sơ đã giải quyết", "en": "Dossiers handled"},
    "mg_field_procedure_field": {"vi": "Lĩnh vực thủ tục", "en": "Procedure field"},
    "mg_field_reason": {"vi": "Lý do / nguồn số liệu", "en": "Reason / source of the figures"},
    "mg_field_delete_reason": {"vi": "Lý do xoá", "en": "Why it is deleted"},
    "mg_field_confirm_outlier": {
        "vi": "Tôi xác nhận số liệu khác thường là đúng",
        "en": "I confirm that an unusual count is right",
    },
    "mg_field_file": {"vi": "Tệp CSV", "en": "CSV file"},
    "mg_field_username": {"vi": "Tên đăng nhập", "en": "Username"},
    "mg_field_display_name": {"vi": "Họ và tên", "en": "Display name"},
    "mg_field_role": {"vi": "Vai trò", "en": "Role"},
    "mg_field_password": {"vi": "Mật khẩu ban đầu", "en": "Initial password"},
    "mg_field_new_password": {"vi": "Mật khẩu mới", "en": "New password"},
    "mg_field_active": {"vi": "Trạng thái", "en": "Status"},
    "mg_hint_threshold": {"vi": "Từ 0 đến 100, ví dụ 86 hoặc 86,5.", "en": "From 0 to 100, e.g. 86 or 86.5."},
    "mg_hint_reason": {
        "vi": "Bắt buộc; được lưu vào nhật ký cùng số cũ và số mới (ví dụ: “Báo cáo tháng 1/2026 của Sở, số 12/BC”).",
        "en": "Required; kept in the audit log with the old and new counts (e.g. “Department's January 2026 report, "
        "no. 12/BC”).",
    },
    "mg_hint_confirm_outlier": {
        "vi": "Chỉ đánh dấu khi số liệu gấp hơn 10 lần hoặc chưa bằng 1/10 mức thường lệ của cơ quan và Ông/Bà đã "
        "kiểm tra là đúng. Trần số liệu và số phiếu đã nhận thì không thể bỏ qua.",
        "en": "Tick only when a count is more than 10 times, or under a tenth of, the agency's usual count and you "
        "have checked it. The ceiling and the responses received are never waived.",
    },
    "mg_hint_file": {
        "vi": "Tệp CSV UTF-8, phân cách bằng dấu phẩy, tối đa {kb} kB. Dòng 1 là tiêu đề.",
        "en": "A UTF-8 CSV file, comma-separated, at most {kb} kB. Line 1 is the header.",
    },
    "mg_hint_username": {
        "vi": "3–64 ký tự: chữ thường không dấu a–z, số 0–9, dấu chấm, gạch dưới, gạch ngang (ví dụ lan.nguyen).",
        "en": "3–64 characters: lower-case letters a–z without accents, digits 0–9, '.', '_', '-' (e.g. lan.nguyen).",
    },
    "mg_hint_agency": {
        "vi": "Gốc phạm vi của tài khoản: cán bộ xem cơ quan này và mọi cơ quan trực thuộc.",
        "en": "The root of the account's scope: the official sees this agency and every agency below it.",
    },
    "mg_hint_password": {
        "vi": "Ít nhất 10 ký tự và khó đoán: nên dùng cụm từ gồm bốn từ trở lên không liên quan nhau; tránh tên, "
        "ngày tháng, dãy phím và tên đăng nhập.",
        "en": "At least 10 characters and hard to guess: use a passphrase of four or more unrelated words; avoid "
        "names, dates, keyboard rows and the username.",
    },
    "mg_filter_agency": {"vi": "Lọc theo cơ quan (và cấp dưới)", "en": "Filter by agency (and below)"},
    "mg_all_agencies": {"vi": "Tất cả cơ quan trong phạm vi", "en": "Every agency in scope"},
    "mg_col_actions": {"vi": "Thao tác", "en": "Actions"},
    "mg_col_applies": {"vi": "Áp dụng cho", "en": "Applies to"},
    "mg_col_until": {"vi": "Đến ngày", "en": "Until"},
    "mg_col_source": {"vi": "Nguồn", "en": "Source"},
    "mg_col_before": {"vi": "Trước", "en": "Before"},
    "mg_col_after": {"vi": "Sau", "en": "After"},
    "mg_col_line": {"vi": "Dòng", "en": "Line"},
    "mg_col_column": {"vi": "Cột", "en": "Column"},
    "mg_col_problem": {"vi": "Lỗi", "en": "Problem"},
    "mg_col_period": {"vi": "Kỳ", "en": "Period"},
    "mg_edit": {"vi": "Sửa", "en": "Edit"},
    "mg_save": {"vi": "Lưu", "en": "Save"},
    "mg_new": {"vi": "mới", "en": "new"},
    "mg_listed_first": {"vi": "Hiển thị {shown} trên {total} dòng.", "en": "Showing {shown} of {total} rows."},
    "mg_in_force_cut": {
        "vi": "Hiển thị {shown} trên {total} cơ quan; chọn một cơ quan ở bộ lọc để xem các cơ quan trực thuộc.",
        "en": "Showing {shown} of {total} agencies; pick an agency in the filter to see those below it.",
    },
    "mg_targets_title": {"vi": "Mục tiêu", "en": "Targets"},
    "mg_targets_intro": {
        "vi": "Kết quả được so với mục tiêu đang áp dụng: mục tiêu riêng của cơ quan, nếu không có thì mục tiêu của "
        "cơ quan cấp trên gần nhất có áp dụng cho cấp dưới. Các kỳ của cùng một cơ quan và chỉ số không được chồng "
        "lên nhau.",
        "en": "Results are compared with the target in force: the agency's own, else that of the nearest agency "
        "above it that applies to its subtree. Periods of one agency and indicator must not overlap.",
    },
    "mg_target_add": {"vi": "+ Thêm mục tiêu", "en": "+ Add a target"},
    "mg_targets_stored": {"vi": "Mục tiêu đã đặt", "en": "Targets set"},
    "mg_no_targets": {"vi": "Chưa đặt mục tiêu nào.", "en": "No targets set yet."},
    "mg_applies_subtree": {"vi": "Cơ quan này và cấp dưới", "en": "This agency and those below"},
    "mg_applies_own": {"vi": "Chỉ cơ quan này", "en": "This agency only"},
    "mg_targets_in_force": {"vi": "Mục tiêu đang áp dụng ngày {day}", "en": "Targets in force on {day}"},
    "mg_targets_in_force_note": {
        "vi": "Theo đúng quy tắc dùng khi đánh giá kết quả: mọi cơ quan với chỉ số SIPAS chung, các chỉ số khác khi "
        "có mục tiêu.",
        "en": "By the rule the verdicts use: every agency for the overall SIPAS index, other indicators where a target "
        "applies.",
    },
    "mg_source_own": {"vi": "Mục tiêu riêng", "en": "Its own"},
    "mg_source_inherited": {"vi": "Kế thừa từ {name}", "en": "Inherited from {name}"},
    "mg_source_above": {"vi": "Kế thừa từ cấp trên", "en": "Inherited from above"},
    "mg_indicator_group_overall": {"vi": "Chỉ số chung", "en": "Overall index"},
    "mg_indicator_group_component": {"vi": "Thành phần", "en": "Components"},
    "mg_indicator_group_element": {"vi": "Yếu tố", "en": "Elements"},
    "mg_indicator_group_item": {"vi": "Câu hỏi", "en": "Questions"},
    "mg_target_new_title": {"vi": "Thêm mục tiêu", "en": "Add a target"},
    "mg_target_edit_title": {"vi": "Sửa mục tiêu", "en": "Edit a target"},
    "mg_target_delete_title": {"vi": "Xoá mục tiêu này", "en": "Delete this target"},
    "mg_target_delete_note": {
        "vi": "Kết quả sẽ được so với mục tiêu của cấp trên (nếu có). Giá trị cũ vẫn được lưu trong nhật ký.",
        "en": "Results will then be compared with the target above (if any). The old values stay in the audit log.",
    },
    "mg_delete_target": {"vi": "Xoá mục tiêu", "en": "Delete the target"},
    "mg_counts_title": {"vi": "Số hồ sơ đã giải quyết", "en": "Population counts"},
    "mg_counts_intro": {
        "vi": "Số hồ sơ mỗi cơ quan đã giải quyết trong kỳ (N) là trọng số N/n của các phiếu. Mỗi thay đổi cần lý do "
        "và được kiểm tra: không vượt trần, không ít hơn số phiếu đã nhận, không khác thường nếu chưa xác nhận.",
        "en": "The dossiers each agency handled in a period (N) give the weights N/n of its responses. Every change "
        "needs a reason and is checked: under the ceiling, no fewer than the responses received, not unusual unless "
        "confirmed.",
    },
    "mg_counts_stored": {"vi": "Số liệu đã lưu", "en": "Stored counts"},
    "mg_no_counts": {"vi": "Chưa có số liệu nào.", "en": "No counts stored yet."},
    "mg_all_fields": {"vi": "Mọi lĩnh vực", "en": "All fields"},
    "mg_upload_title": {"vi": "Tải lên tệp CSV", "en": "Upload a CSV file"},
    "mg_upload_intro": {
        "vi": "Tất cả hoặc không: nếu một dòng có lỗi thì không số nào được lưu, và mọi lỗi được liệt kê theo dòng "
        "và cột. Dòng trùng cơ quan, ngày bắt đầu và lĩnh vực với số đã lưu sẽ cập nhật số đó. Các cột:",
        "en": "All or nothing: if one line is wrong nothing is stored, and every problem is listed by line and "
        "column. A line with the agency, start and procedure field of a stored count updates it. The columns:",
    },
    "mg_template_link": {
        "vi": "Tải tệp mẫu (các cơ quan trong phạm vi, tháng trước)",
        "en": "Download a template (the agencies in scope, last month)",
    },
    "mg_export_link": {"vi": "Tải số liệu đã lưu (CSV, tải lên lại được)", "en": "Download the stored counts (CSV)"},
    "mg_upload_button": {"vi": "Tải lên và lưu", "en": "Upload and store"},
    "mg_upload_refused": {
        "vi": "Tệp {file} bị từ chối, không số nào được lưu: {n} lỗi",
        "en": "The file {file} was refused, nothing was stored: {n} problem(s)",
    },
    "mg_upload_more": {"vi": "… và {n} lỗi khác.", "en": "… and {n} more."},
    "mg_upload_fix": {"vi": "Sửa tệp rồi tải lên lại.", "en": "Fix the file and upload it again."},
    "mg_whole_line": {"vi": "cả dòng", "en": "whole line"},
    "mg_upload_stored": {
        "vi": "Đã lưu tệp: {rows} dòng ({created} số mới, {updated} số cập nhật)",
        "en": "File stored: {rows} line(s) ({created} new, {updated} updated)",
    },
    "mg_upload_nothing_changed": {
        "vi": "Mọi dòng đều trùng với số đã lưu: không có gì thay đổi.",
        "en": "Every line matched a stored count: nothing changed.",
    },
    "mg_pages": {"vi": "Trang", "en": "Pages"},
    "mg_page_of": {"vi": "Trang {page}/{pages} ({total} dòng)", "en": "Page {page} of {pages} ({total} rows)"},
    "mg_prev": {"vi": "← Trang trước", "en": "← Previous"},
    "mg_next": {"vi": "Trang sau →", "en": "Next →"},
    "mg_count_edit_title": {"vi": "Sửa số hồ sơ đã giải quyết", "en": "Edit a population count"},
    "mg_count_edit_intro": {
        "vi": "Đang lưu: {dossiers} hồ sơ từ {start} đến {end}.",
        "en": "Stored: {dossiers} dossiers from {start} to {end}.",
    },
    "mg_count_delete_title": {"vi": "Xoá số liệu này", "en": "Delete this count"},
    "mg_count_delete_note": {
        "vi": "Phiếu của các tháng không có số liệu nhận trọng số bình quân chung (ΣN/Σn) và trang số liệu sẽ nêu tên "
        "cơ quan thiếu số liệu. Giá trị cũ và lý do được lưu trong nhật ký.",
        "en": "Responses of months without a count take the overall average weight (ΣN/Σn), and the figure pages name "
        "the agencies without counts. The old value and the reason stay in the audit log.",
    },
    "mg_delete_count": {"vi": "Xoá số liệu", "en": "Delete the count"},
    "mg_officials_title": {"vi": "Cán bộ", "en": "Officials"},
    "mg_officials_intro": {
        "vi": "Tài khoản của các cơ quan trong phạm vi. Ngừng tài khoản hoặc đặt lại mật khẩu sẽ đóng mọi phiên đăng "
        "nhập đang mở của tài khoản đó.",
        "en": "Accounts of the agencies in scope. Deactivating an account or resetting its password closes its open "
        "sessions.",
    },
    "mg_official_add": {"vi": "+ Thêm cán bộ", "en": "+ Add an official"},
    "mg_no_officials": {"vi": "Chưa có tài khoản nào.", "en": "No accounts yet."},
    "mg_role_national": {"vi": "Trung ương", "en": "National"},
    "mg_role_province_admin": {"vi": "Quản trị viên cấp tỉnh", "en": "Province administrator"},
    "mg_role_agency_official": {"vi": "Cán bộ cơ quan (chỉ xem)", "en": "Agency official (read only)"},
    "mg_deactivated": {"vi": "Đã ngừng", "en": "Deactivated"},
    "mg_locked": {"vi": "khoá đến {when}", "en": "locked until {when}"},
    "mg_created": {"vi": "Ngày tạo", "en": "Created"},
    "mg_official_new_title": {"vi": "Thêm cán bộ", "en": "Add an official"},
    "mg_official_create": {"vi": "Tạo tài khoản", "en": "Create the account"},
    "mg_official_title": {"vi": "Tài khoản {username}", "en": "Account {username}"},
    "mg_reset_title": {"vi": "Đặt lại mật khẩu", "en": "Reset the password"},
    "mg_reset_note": {
        "vi": "Mật khẩu mới có hiệu lực ngay, mở khoá tài khoản và đóng mọi phiên đăng nhập đang mở. Hãy trao mật "
        "khẩu trực tiếp cho người dùng.",
        "en": "The new password works at once, unlocks the account and closes its open sessions. Hand it to the "
        "person directly.",
    },
    "mg_reset_button": {"vi": "Đặt lại mật khẩu", "en": "Reset the password"},
    "mg_deactivate_title": {"vi": "Ngừng tài khoản", "en": "Deactivate the account"},
    "mg_deactivate_note": {
        "vi": "Người dùng không đăng nhập được nữa; các phiên đang mở bị đóng. Có thể mở lại sau.",
        "en": "The person can no longer log in; open sessions are closed. It can be reactivated later.",
    },
    "mg_deactivate_button": {"vi": "Ngừng tài khoản", "en": "Deactivate"},
    "mg_reactivate_title": {"vi": "Mở lại tài khoản", "en": "Reactivate the account"},
    "mg_reactivate_note": {
        "vi": "Người dùng đăng nhập lại được bằng mật khẩu hiện có.",
        "en": "The person can log in again with their current password.",
    },
    "mg_reactivate_button": {"vi": "Mở lại tài khoản", "en": "Reactivate"},
    "mg_self_note": {
        "vi": "Đây là tài khoản của chính Ông/Bà: không thể tự ngừng; hãy nhờ quản trị viên khác.",
        "en": "This is your own account: you cannot deactivate it; ask another administrator.",
    },
    # errors
    "not_found_title": {"vi": "Không tìm thấy", "en": "Not found"},
    "not_found_body": {
        "vi": "Trang hoặc cơ quan này không tồn tại hoặc nằm ngoài phạm vi của Ông/Bà.",
        "en": "This page or agency does not exist or is outside your scope.",
    },
    "forbidden_title": {"vi": "Không có quyền truy cập", "en": "Not allowed"},
    "forbidden_body": {
        "vi": "Trang này dành cho quản trị viên cấp tỉnh hoặc trung ương.",
        "en": "This page is for province or national administrators.",
    },
    "slow_down_title": {"vi": "Quá nhiều yêu cầu", "en": "Too many requests"},
    "slow_down_body": {
        "vi": "Ông/Bà đã gửi quá nhiều yêu cầu trong một phút. Vui lòng đợi một lát rồi thử lại.",
        "en": "You have sent too many requests in a minute. Please wait a moment and try again.",
    },
    "csrf_body": {
        "vi": "Phiên làm việc không hợp lệ. Vui lòng tải lại trang rồi thử lại.",
        "en": "The request could not be verified. Please reload the page and try again.",
    },
}
