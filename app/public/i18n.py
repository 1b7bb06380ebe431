"""The citizen pages' own words, in Vietnamese (default) and English. Question texts come from the forms."""

from __future__ import annotations

from typing import Literal

from app.forms.schemas import Text

Lang = Literal["vi", "en"]

MESSAGES: dict[str, dict[Lang, str]] = {
    "switch": {"vi": "English", "en": "Tiếng Việt"},
    "intro": {
        "vi": "Phiếu ẩn danh, chưa đến 1 phút. Câu có dấu * là bắt buộc.",
        "en": "Anonymous, under a minute. Questions marked * are required.",
    },
    "intro_named": {
        "vi": "Chưa đến 1 phút. Không hỏi họ tên hay số điện thoại. Câu có dấu * là bắt buộc.",
        "en": "Under a minute. We do not ask your name or phone number. Questions marked * are required.",
    },
    "details_title": {"vi": "Đánh giá chi tiết (không bắt buộc)", "en": "Detailed rating (optional)"},
    "choose_many": {"vi": "Chọn một hoặc nhiều.", "en": "Choose one or more."},
    "clear_choice": {"vi": "Bỏ chọn", "en": "Clear"},
    "dossier_help": {
        "vi": "Chỉ để một hồ sơ không được đánh giá hai lần. Mã được lưu dưới dạng mã băm có khóa, không lưu mã gốc.",
        "en": "Only so that one dossier is not rated twice. It is stored as a keyed hash, never as the code itself.",
    },
    "required_mark": {"vi": "bắt buộc", "en": "required"},
    "submit": {"vi": "Gửi đánh giá", "en": "Send feedback"},
    "errors_title": {"vi": "Vui lòng kiểm tra lại:", "en": "Please check:"},
    "error_required": {"vi": "Vui lòng trả lời câu hỏi này.", "en": "Please answer this question."},
    "error_too_long": {"vi": "Nội dung quá dài.", "en": "This answer is too long."},
    "error_invalid": {"vi": "Câu trả lời không hợp lệ.", "en": "This answer is not valid."},
    "error_form": {
        "vi": "Phiếu đã hết hạn hoặc không hợp lệ. Vui lòng gửi lại.",
        "en": "The form expired or was not valid. Please send it again.",
    },
    "already_sent": {
        "vi": "Phiếu này đã được gửi và ghi nhận. Gửi lại sẽ không tạo thêm phiếu.",
        "en": "This form has already been sent and recorded. Sending it again adds nothing.",
    },
    "new_answer": {
        "vi": "Người khác muốn đánh giá trên máy này? Mở phiếu mới",
        "en": "Someone else answering on this phone? Open a new form",
    },
    "only_if": {"vi": "Chỉ trả lời nếu ở câu trước Ông/Bà chọn:", "en": "Answer only if you chose above:"},
    "max_chars": {"vi": "Tối đa {n} ký tự", "en": "At most {n} characters"},
    "thanks_title": {"vi": "Cảm ơn Ông/Bà!", "en": "Thank you!"},
    "thanks_body": {
        "vi": "Ý kiến của Ông/Bà đã được ghi nhận và giúp cơ quan phục vụ tốt hơn.",
        "en": "Your feedback has been recorded and helps the office serve people better.",
    },
    "not_found_title": {"vi": "Không tìm thấy phiếu đánh giá", "en": "Feedback form not found"},
    "not_found_body": {
        "vi": "Mã QR hoặc đường dẫn này không còn hiệu lực. Vui lòng quét mã QR đang dán tại quầy.",
        "en": "This QR code or link is no longer valid. Please scan the code displayed at the counter.",
    },
    "used_title": {"vi": "Hồ sơ này đã được đánh giá", "en": "Already answered"},
    "used_body": {
        "vi": "Đường dẫn này chỉ dùng được một lần và đã được sử dụng. Cảm ơn Ông/Bà.",
        "en": "This link can be used once and has already been used. Thank you.",
    },
    "slow_down_title": {"vi": "Quá nhiều lượt gửi", "en": "Too many submissions"},
    "slow_down_body": {
        "vi": "Vui lòng thử lại sau ít phút.",
        "en": "Please try again in a few minutes.",
    },
    "privacy": {
        "vi": "Không thu thập họ tên hay số điện thoại.",
        "en": "We do not collect names or phone numbers.",
    },
    "honeypot": {"vi": "Đừng điền vào ô này", "en": "Leave this empty"},
    # The thank-you page: what the agency offers next (app/public/templates/thanks.html).
    "thanks_next": {"vi": "Cần hỗ trợ thêm?", "en": "Need more help?"},
    "thanks_hotline": {"vi": "Đường dây nóng", "en": "Hotline"},
    "thanks_complaint": {"vi": "Phản ánh, kiến nghị", "en": "Complaints and suggestions"},
    "thanks_complaint_portal": {"vi": "trên Cổng Dịch vụ công quốc gia", "en": "on the National Public Service Portal"},
    "thanks_complaint_site": {"vi": "trên trang {host}", "en": "on {host}"},
    "thanks_hours": {"vi": "Giờ làm việc", "en": "Opening hours"},
    # The front door (/) and typed counter codes (/q/{code}): app/public/templates/home.html, code_not_found.html.
    "home_title": {"vi": "Đánh giá sự phục vụ của cơ quan hành chính", "en": "Rate the service of a public office"},
    "home_service": {"vi": "Đánh giá sự hài lòng (SIPAS)", "en": "Citizen satisfaction survey (SIPAS)"},
    "home_heading": {
        "vi": "Ông/Bà vừa làm thủ tục tại bộ phận một cửa? Hãy cho chúng tôi biết",
        "en": "Just been served at a one-stop counter? Tell us how it went",
    },
    "home_about": {
        "vi": "Trang này thu ý kiến của người dân và doanh nghiệp về sự phục vụ của cơ quan hành chính nhà nước, "
        "để cơ quan phục vụ tốt hơn. Chưa đến 1 phút, không cần đăng nhập.",
        "en": "This service collects what citizens and businesses think of the service of public administration "
        "offices, so they can serve people better. Under a minute, no login.",
    },
    "home_scan_title": {"vi": "Quét mã QR tại quầy", "en": "Scan the QR code at your counter"},
    "home_scan_body": {
        "vi": "Mỗi quầy có một mã QR dán tại bàn. Quét bằng camera điện thoại để mở phiếu đánh giá của đúng quầy đó.",
        "en": "Each counter has a QR code on its desk. Scan it with your phone's camera to open that counter's form.",
    },
    "home_code_title": {"vi": "Hoặc nhập mã quầy", "en": "Or type the counter code"},
    "home_code_label": {"vi": "Mã quầy", "en": "Counter code"},
    "home_code_hint": {
        "vi": "6 chữ và số in ngay dưới mã QR, ví dụ 7KX2M9. Chữ hoa hay chữ thường đều được.",
        "en": "The 6 letters and digits printed under the QR code, e.g. 7KX2M9. Upper or lower case.",
    },
    "home_code_submit": {"vi": "Mở phiếu đánh giá", "en": "Open the form"},
    "home_staff_title": {"vi": "Dành cho cán bộ", "en": "For staff"},
    "home_dashboard": {"vi": "Trang số liệu đánh giá (đăng nhập)", "en": "Officials' dashboard (log in)"},
    "home_kiosk": {"vi": "Cài đặt máy đánh giá (kiosk) tại quầy", "en": "Set up a feedback kiosk at a counter"},
    "code_missing_title": {"vi": "Không tìm thấy mã quầy", "en": "Counter code not found"},
    "code_again": {"vi": "Nhập lại mã quầy", "en": "Type the code again"},
    "code_missing_body": {
        "vi": "Không có quầy nào đang dùng mã «{code}». Vui lòng xem lại mã in dưới mã QR tại quầy và nhập lại; "
        "nếu quầy vừa đổi mã, hãy dùng mã mới đang dán tại quầy.",
        "en": "No counter uses the code “{code}”. Please check the code printed under the QR code at the counter and "
        "type it again; if the counter's code was changed, use the new one on its desk.",
    },
    "code_slow_down_title": {"vi": "Quá nhiều lần nhập mã sai", "en": "Too many wrong codes"},
    "code_slow_down_body": {
        "vi": "Vui lòng thử lại sau ít phút, hoặc quét mã QR tại quầy.",
        "en": "Please try again in a few minutes, or scan the QR code at the counter.",
    },
}


def pick_lang(value: str | None) -> Lang:
    return "en" if value == "en" else "vi"


def t(key: str, lang: Lang, **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


def text(value: Text | None, lang: Lang) -> str:
    """A form text in the reader's language, falling back to Vietnamese."""
    if value is None:
        return ""
    return (value.en or value.vi) if lang == "en" else value.vi
