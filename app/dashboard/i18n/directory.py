"""The counters and kiosks pages: search, activity, posters as PDF, management."""

from __future__ import annotations

from app.public.i18n import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "counter_new_link": {"vi": "＋ Thêm quầy", "en": "＋ Add a counter"},
    "counters_filters": {"vi": "Tìm và lọc quầy", "en": "Search and filter counters"},
    "counters_reset": {"vi": "Xóa bộ lọc", "en": "Clear filters"},
    "counters_search": {"vi": "Tìm quầy", "en": "Find a counter"},
    "counters_search_hint": {
        "vi": "Tên cơ quan hoặc quầy (gõ có dấu hay không dấu đều được), mã quầy hoặc mã nhập 6 ký tự.",
        "en": "Agency or counter name (with or without Vietnamese accents), counter code or 6-symbol code.",
    },
    "counters_days": {"vi": "Báo quầy không có phiếu sau (ngày)", "en": "Flag counters with no answer for (days)"},
    "counters_quiet_only": {"vi": "Chỉ hiện quầy không có phiếu", "en": "Only counters with no recent answer"},
    "counters_total": {"vi": "{total} quầy", "en": "{total} counters"},
    "counters_matched": {"vi": "{matched} trên {total} quầy khớp", "en": "{matched} of {total} counters match"},
    "counters_showing": {
        "vi": "đang xem {first}–{last} (trang {page}/{pages})",
        "en": "showing {first}–{last} (page {page} of {pages})",
    },
    "counters_quiet_summary": {
        "vi": "{n} quầy đang dùng không có phiếu trong {days} ngày trở lên: mã QR có thể bị hỏng, bị che hoặc bị gỡ.",
        "en": "{n} active counters have had no answer for {days} days or more: their QR code may be damaged, "
        "covered or gone.",
    },
    "counters_show_quiet": {"vi": "Chỉ xem các quầy này", "en": "Show only these"},
    "counters_show_all": {"vi": "Xem tất cả các quầy", "en": "Show all counters"},
    "counters_period": {"vi": "Kỳ: {start} – {end}", "en": "Period: {start} – {end}"},
    "col_short_code": {"vi": "Mã nhập", "en": "Typable code"},
    "counters_sort_agency": {"vi": "Cơ quan", "en": "Agency"},
    "counters_sort_name": {"vi": "Quầy", "en": "Counter"},
    "counters_sort_period": {"vi": "Phiếu trong kỳ", "en": "Answers in period"},
    "counters_sort_total": {"vi": "Tổng số phiếu", "en": "All answers"},
    "counters_sort_last": {"vi": "Phiếu gần nhất", "en": "Last answer"},
    "counters_never_answered": {"vi": "chưa có phiếu", "en": "no answer yet"},
    "counters_quiet_tag": {"vi": "Không có phiếu trong {n} ngày", "en": "No answer for {n} days"},
    "counters_agency_inactive": {"vi": "Cơ quan ngừng dùng", "en": "Agency inactive"},
    "counters_pages": {"vi": "Các trang danh sách quầy", "en": "Pages of the counter list"},
    "counters_no_match": {
        "vi": "Không có quầy nào khớp. Thử bỏ bớt từ tìm kiếm hoặc bộ lọc.",
        "en": "No counter matches. Try fewer words or fewer filters.",
    },
    "counters_activity_note": {
        "vi": "Số phiếu tính như các số liệu: không gồm phiếu thử và phiếu đang bị nghi là spam; mọi kênh và "
        "mọi mẫu phiếu. “Phiếu gần nhất” là lúc người dân trả lời (giờ địa phương). Một quầy chưa có phiếu "
        "được tính số ngày từ khi tạo quầy. Đây là số đếm hoạt động, không phải ước lượng: không có khoảng "
        "tin cậy, không dùng để xếp hạng.",
        "en": "Answers are counted as the figures count them: no test answers, none held as suspected spam; "
        "every channel and form. “Last answer” is when the citizen answered (local time). A counter without "
        "answers counts its days from its creation. These are activity counts, not estimates: no interval, "
        "not a ranking.",
    },
    "posters_title": {"vi": "In áp phích mã QR", "en": "Print QR posters"},
    "posters_intro": {
        "vi": "Một tệp PDF, mỗi quầy đang dùng một trang, cho cơ quan đã chọn và mọi cơ quan trực thuộc.",
        "en": "One PDF file, one page per active counter, for the chosen agency and every agency below it.",
    },
    "posters_address_warning": {
        "vi": "Chưa nên in: mã QR và mã nhập đang trỏ tới {url}, địa chỉ mà điện thoại của người dân không mở "
        "được. Hãy đặt SIPAS_PUBLIC_BASE_URL trước khi in.",
        "en": "Do not print yet: the QR codes and typable codes point to {url}, which citizens' phones cannot "
        "open. Set SIPAS_PUBLIC_BASE_URL before printing.",
    },
    "posters_agency": {"vi": "Cơ quan", "en": "Agency"},
    "posters_size": {"vi": "Khổ giấy", "en": "Paper size"},
    "posters_download": {"vi": "Tải áp phích (PDF)", "en": "Download posters (PDF)"},
    "posters_note": {
        "vi": "Tạo tệp mất khoảng 1 giây cho 10 quầy. Quầy ngừng dùng không có áp phích.",
        "en": "Making the file takes about a second per 10 counters. Inactive counters have no poster.",
    },
    "counters_field_from": {"vi": "Từ ngày", "en": "From"},
    "counters_field_to": {"vi": "Đến ngày", "en": "To"},
    "counters_field_sort": {"vi": "Sắp xếp", "en": "Sort"},
    "counters_field_order": {"vi": "Chiều sắp xếp", "en": "Sort direction"},
    "counters_field_page": {"vi": "Trang", "en": "Page"},
    "counters_field_days": {"vi": "Số ngày không có phiếu", "en": "Days without an answer"},
    "counters_bad_date": {
        "vi": "{field}: “{value}” không phải là ngày (năm-tháng-ngày, ví dụ 2026-01-31); đã dùng mặc định.",
        "en": "{field}: “{value}” is not a date (year-month-day, e.g. 2026-01-31); the default is used.",
    },
    "counters_bad_period": {
        "vi": "{field}: ngày bắt đầu sau ngày kết thúc ({value}); đã dùng 30 ngày gần nhất.",
        "en": "{field}: the start is after the end ({value}); the last 30 days are used.",
    },
    "counters_bad_sort": {
        "vi": "{field}: “{value}” không phải cách sắp xếp (agency, name, period, total, last); đã xếp theo cơ quan.",
        "en": "{field}: “{value}” is not a sort (agency, name, period, total, last); sorted by agency.",
    },
    "counters_bad_order": {
        "vi": "{field}: “{value}” phải là asc hoặc desc; đã dùng mặc định.",
        "en": "{field}: “{value}” must be asc or desc; the default is used.",
    },
    "counters_bad_page": {
        "vi": "{field}: “{value}” không phải số trang (1, 2, …); đã mở trang 1.",
        "en": "{field}: “{value}” is not a page number (1, 2, …); page 1 is shown.",
    },
    "counters_bad_days": {
        "vi": "{field}: “{value}” phải là số ngày từ 1 đến 3660; đã dùng 14.",
        "en": "{field}: “{value}” must be a number of days from 1 to 3660; 14 is used.",
    },
    "counter_done_created": {
        "vi": "Đã tạo quầy. Mã nhập của quầy: {code}. Hãy in áp phích để đặt tại quầy.",
        "en": "Counter created. Its typable code: {code}. Print its poster for the desk.",
    },
    "counter_done_revoked": {
        "vi": "Đã thu hồi: mọi mã QR và mã nhập đã in của quầy không còn mở được phiếu. Mã nhập mới: {code}. "
        "Hãy in lại áp phích.",
        "en": "Revoked: every QR code and typable code printed for this counter no longer opens the form. New "
        "typable code: {code}. Print the poster again.",
    },
    "counter_done_deactivated": {
        "vi": "Đã ngừng dùng quầy: mã QR, mã nhập và máy tính bảng của quầy không nhận phiếu nữa.",
        "en": "Counter deactivated: its QR codes, typable code and kiosks no longer take answers.",
    },
    "counter_done_activated": {
        "vi": "Quầy đã dùng lại: mã hiện tại ({code}) mở phiếu đánh giá.",
        "en": "Counter active again: its current code ({code}) opens the form.",
    },
    "counter_short_url": {"vi": "Người dân gõ mã tại {url}", "en": "Citizens type it at {url}"},
    "poster_pdf": {"vi": "Áp phích PDF khổ {size}", "en": "Poster PDF, {size}"},
    "poster_html": {"vi": "Xem và in áp phích từ trình duyệt", "en": "View and print the poster in the browser"},
    "poster_closed": {
        "vi": "Quầy hoặc cơ quan đã ngừng dùng: mã QR không mở được phiếu nên không có áp phích. Hãy dùng lại "
        "quầy trước.",
        "en": "The counter or its agency is inactive: its QR code would not open the form, so there is no "
        "poster. Reactivate it first.",
    },
    "counter_manage": {"vi": "Quản lý quầy", "en": "Manage this counter"},
    "revoke_title": {"vi": "Thu hồi mã QR và mã nhập", "en": "Revoke QR codes and the typable code"},
    "revoke_explain": {
        "vi": "Dùng khi áp phích bị sao chép hoặc đặt sai chỗ. Mọi mã QR và mã nhập đã in của quầy ngừng mở "
        "phiếu ngay; quầy nhận mã nhập mới và cần in lại áp phích. Phiếu đã nhận không bị ảnh hưởng.",
        "en": "For a poster copied or put in the wrong place. Every QR code and typable code printed for this "
        "counter stops opening the form at once; the counter gets a new typable code and needs a new poster. "
        "Answers already received are kept.",
    },
    "revoke_confirm": {
        "vi": "Tôi hiểu các áp phích đã in của quầy sẽ không dùng được nữa.",
        "en": "I understand the posters printed for this counter will stop working.",
    },
    "revoke_button": {"vi": "Thu hồi mã", "en": "Revoke the codes"},
    "revoke_confirm_missing": {
        "vi": "Chưa thu hồi: hãy đánh dấu ô xác nhận rồi bấm lại.",
        "en": "Nothing revoked: tick the confirmation box, then press the button again.",
    },
    "deactivate_title": {"vi": "Ngừng dùng quầy", "en": "Deactivate the counter"},
    "deactivate_explain": {
        "vi": "Quầy ngừng nhận phiếu trên mọi kênh: mã QR mở lời giải thích thay cho phiếu, máy tính bảng của "
        "quầy bị từ chối. Có thể dùng lại sau.",
        "en": "The counter stops taking answers on every channel: its QR codes open an explanation instead of "
        "the form and its kiosks are refused. It can be reactivated.",
    },
    "deactivate_button": {"vi": "Ngừng dùng quầy", "en": "Deactivate"},
    "activate_title": {"vi": "Dùng lại quầy", "en": "Reactivate the counter"},
    "activate_explain": {
        "vi": "Mã QR và mã nhập hiện tại của quầy mở lại phiếu đánh giá.",
        "en": "The counter's current QR code and typable code open the form again.",
    },
    "activate_button": {"vi": "Dùng lại quầy", "en": "Reactivate"},
    "counter_new_title": {"vi": "Thêm quầy", "en": "Add a counter"},
    "counter_new_intro": {
        "vi": "Quầy mới nhận ngay mã QR và mã nhập 6 ký tự của riêng mình.",
        "en": "A new counter gets its own QR code and 6-symbol typable code at once.",
    },
    "dir_form_errors": {"vi": "Chưa lưu. Hãy sửa:", "en": "Nothing saved. Please correct:"},
    "counter_new_code": {"vi": "Mã quầy", "en": "Counter code"},
    "counter_new_code_hint": {
        "vi": "Ví dụ Q03. Chữ, số, “.”, “-” và “_”; không trùng mã quầy khác của cơ quan.",
        "en": "E.g. Q03. Letters, digits, “.”, “-” and “_”; unique within the agency.",
    },
    "counter_new_name_vi": {"vi": "Tên quầy (tiếng Việt)", "en": "Counter name (Vietnamese)"},
    "counter_new_name_en": {"vi": "Tên quầy (tiếng Anh, không bắt buộc)", "en": "Counter name (English, optional)"},
    "counter_new_submit": {"vi": "Tạo quầy", "en": "Create the counter"},
    "counter_new_bad_agency": {
        "vi": "Cơ quan: hãy chọn một cơ quan trong phạm vi của Ông/Bà.",
        "en": "Agency: choose an agency within your scope.",
    },
    "counter_new_bad_code": {
        "vi": "Mã quầy: bắt buộc, tối đa 64 ký tự, bắt đầu bằng chữ hoặc số; chỉ gồm chữ, số, “.”, “-”, “_”.",
        "en": "Counter code: required, at most 64 characters, starting with a letter or digit; letters, digits, "
        "“.”, “-”, “_” only.",
    },
    "counter_new_bad_name_vi": {
        "vi": "Tên quầy (tiếng Việt): bắt buộc, tối đa 255 ký tự.",
        "en": "Counter name (Vietnamese): required, at most 255 characters.",
    },
    "counter_new_bad_name_en": {
        "vi": "Tên quầy (tiếng Anh): tối đa 255 ký tự.",
        "en": "Counter name (English): at most 255 characters.",
    },
    "counter_new_taken": {
        "vi": "Mã quầy: cơ quan này đã có quầy mã “{code}”.",
        "en": "Counter code: this agency already has a counter “{code}”.",
    },
    "counters_request_problem": {"vi": "Không tạo được tệp", "en": "The file cannot be made"},
    "posters_bad_size": {
        "vi": "Khổ giấy (size): “{value}” không dùng được; chọn a4 hoặc a5.",
        "en": "Paper size (size): “{value}” cannot be used; choose a4 or a5.",
    },
    "posters_agency_needed": {
        "vi": "Cơ quan (agency): hãy chọn cơ quan cần in áp phích.",
        "en": "Agency (agency): choose the agency whose posters to print.",
    },
    "posters_none": {
        "vi": "{name} và các cơ quan trực thuộc không có quầy đang dùng: không có áp phích để in.",
        "en": "{name} and the agencies below it have no active counter: there is no poster to print.",
    },
    "posters_pdf_unavailable": {
        "vi": "Máy chủ này chưa tạo được tệp PDF (thiếu thư viện pango). Hãy báo quản trị hệ thống; trong lúc chờ, "
        "có thể in áp phích từ trình duyệt trên trang của từng quầy.",
        "en": "This server cannot make PDF files yet (the pango library is missing). Tell the system "
        "administrator; meanwhile each counter's page prints its poster from the browser.",
    },
    "posters_too_many": {
        "vi": "{name} có {n} quầy đang dùng; mỗi tệp in tối đa {most} áp phích. Hãy chọn một cơ quan nhỏ hơn.",
        "en": "{name} has {n} active counters; one file holds at most {most} posters. Choose a smaller agency.",
    },
    "device_new_link": {"vi": "＋ Cấp khóa cho máy mới", "en": "＋ Issue a key for a new kiosk"},
    "device_revoked_done": {
        "vi": "Đã thu hồi khóa của máy “{name}”: máy không gửi được phiếu nữa.",
        "en": "The key of “{name}” is revoked: the kiosk can no longer send answers.",
    },
    "devices_stale_summary": {
        "vi": "{n} máy mất liên lạc: không báo về quá {hours} giờ.",
        "en": "{n} kiosks are stale: no heartbeat for over {hours} hour(s).",
    },
    "col_key_prefix": {"vi": "Đầu khóa", "en": "Key prefix"},
    "col_kiosk_answers": {"vi": "Phiếu đã gửi", "en": "Answers sent"},
    "col_kiosk_place": {"vi": "Đặt tại", "en": "Placed at"},
    "kiosk_version": {"vi": "phiên bản {version}", "en": "version {version}"},
    "device_stale": {"vi": "Mất liên lạc (quá {hours} giờ)", "en": "Stale (over {hours} h)"},
    "device_revoke": {"vi": "Thu hồi khóa", "en": "Revoke key"},
    "devices_note": {
        "vi": "Máy báo về khi mở và mỗi vài phút. Không báo về quá {hours} giờ trong giờ làm việc: kiểm tra điện "
        "và mạng của máy. “Phiếu đã gửi” không gồm phiếu thử và phiếu bị nghi là spam.",
        "en": "A kiosk reports when it starts and every few minutes. No heartbeat for over {hours} hour(s) during "
        "office hours: check its power and network. “Answers sent” leaves out test answers and suspected spam.",
    },
    "device_new_title": {"vi": "Cấp khóa cho máy tính bảng", "en": "Issue a kiosk key"},
    "device_new_intro": {
        "vi": "Khóa chỉ hiện một lần, ngay sau khi cấp. Nhập khóa vào máy tính bảng đặt tại quầy.",
        "en": "The key is shown once, right after it is issued. Enter it on the tablet at the counter.",
    },
    "device_new_place": {"vi": "Đặt tại", "en": "Placed at"},
    "device_new_no_counter": {"vi": "không gắn quầy", "en": "no particular counter"},
    "device_new_label": {"vi": "Tên máy (không bắt buộc)", "en": "Kiosk name (optional)"},
    "device_new_label_hint": {
        "vi": "Ví dụ “Máy tính bảng quầy 2”, để nhận ra máy trong danh sách.",
        "en": "E.g. “Tablet at counter 2”, to recognise it in the list.",
    },
    "device_new_submit": {"vi": "Cấp khóa", "en": "Issue the key"},
    "device_new_bad_place": {
        "vi": "Đặt tại: hãy chọn một cơ quan hoặc quầy đang dùng trong phạm vi của Ông/Bà.",
        "en": "Placed at: choose an active agency or counter within your scope.",
    },
    "device_new_bad_label": {"vi": "Tên máy: tối đa 255 ký tự.", "en": "Kiosk name: at most 255 characters."},
    "device_key_title": {"vi": "Khóa của máy tính bảng", "en": "The kiosk's key"},
    "device_key_once": {
        "vi": "Sao chép khóa này ngay. Khóa chỉ hiện MỘT lần: hệ thống không lưu khóa nên không thể xem lại.",
        "en": "Copy this key now. It is shown ONCE: the service does not keep it and cannot show it again.",
    },
    "device_key_how": {
        "vi": "Nhập khóa vào máy tính bảng (mục cài đặt của trang kiosk). Nếu mất khóa, hãy thu hồi máy này và "
        "cấp khóa mới.",
        "en": "Enter the key on the tablet (the kiosk page's settings). If it is lost, revoke this kiosk and "
        "issue a new key.",
    },
    "device_key_label": {"vi": "Khóa", "en": "Key"},
    "device_key_done": {
        "vi": "Tôi đã sao chép khóa – về danh sách máy",
        "en": "I have copied the key – back to the kiosks",
    },
}
