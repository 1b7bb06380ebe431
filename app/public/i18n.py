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
