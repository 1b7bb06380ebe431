"""The citizens' voice: reasons and comments (app/dashboard/router_voice.py)."""

from __future__ import annotations

from app.public.i18n import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
    "nav_voice": {"vi": "Tiếng nói người dân", "en": "Citizens' voice"},
    "voice_link": {
        "vi": "Tiếng nói người dân: lý do chưa hài lòng và góp ý →",
        "en": "Citizens' voice: reasons for dissatisfaction and comments →",
    },
    "voice_title_of": {"vi": "Tiếng nói người dân: {name}", "en": "Citizens' voice: {name}"},
    "voice_intro": {
        "vi": "Vì sao người dân chưa hài lòng (lý do họ chọn khi đánh giá thấp) và họ góp ý gì, cho cơ quan này "
        "và các cơ quan trực thuộc. Thông tin cá nhân trong góp ý được che trước khi hiển thị và khi tải về.",
        "en": "Why people are dissatisfied (the reasons they pick after a low rating) and what they wrote, for "
        "this agency and those below it. Personal data in the comments is masked before it is shown or downloaded.",
    },
    "voice_back": {"vi": "← {name}", "en": "← {name}"},
    "voice_period_filters": {"vi": "Kỳ, phiếu và quầy", "en": "Period, form and counter"},
    "voice_counter": {"vi": "Quầy", "en": "Counter"},
    "voice_all_counters": {"vi": "Tất cả các quầy", "en": "All counters"},
    "voice_reset": {"vi": "Mặc định", "en": "Default"},
    "voice_reasons_title": {"vi": "Lý do chưa hài lòng", "en": "Reasons for dissatisfaction"},
    "voice_reasons_question": {
        "vi": "Câu hỏi “{question}”, hỏi khi người dân trả lời {levels} ở câu “{after}”.",
        "en": "The question “{question}”, asked when people answer {levels} to “{after}”.",
    },
    "voice_reasons_base": {
        "vi": "{n} người trả lời câu này trong kỳ; tỷ lệ của mỗi lý do tính trong số họ.",
        "en": "{n} people answered it in the period; each reason's share is among them.",
    },
    "voice_reasons_none_asked": {
        "vi": "Chưa ai trả lời câu hỏi này trong kỳ đã chọn.",
        "en": "Nobody answered this question in the chosen period.",
    },
    "voice_reasons_no_question": {
        "vi": "Phiếu {form} không có câu hỏi về lý do chưa hài lòng.",
        "en": "Form {form} asks no question about reasons for dissatisfaction.",
    },
    "voice_reasons_note": {
        "vi": "Một người có thể chọn nhiều lý do, nên tổng các tỷ lệ vượt quá 100%. Tỷ lệ có trọng số như chỉ số "
        "hài lòng, kèm khoảng tin cậy {level}; số lượt chọn là số phiếu thực tế. Lý do có quá ít phiếu ghi “chưa "
        "đủ dữ liệu” thay cho tỷ lệ (quy tắc độ tin cậy NCHS).",
        "en": "One person may pick several reasons, so the shares add up to more than 100%. Shares are weighted "
        "like the satisfaction figures, with {level} intervals; the counts are actual answers. A reason with too "
        "few answers reads “not enough data” instead of a share (the NCHS reliability rule).",
    },
    "voice_chart_title": {"vi": "Tỷ lệ chọn mỗi lý do", "en": "Share choosing each reason"},
    "voice_chart_summary": {
        "vi": "Lý do được chọn nhiều nhất: {name}, {value}.",
        "en": "The reason chosen most: {name}, {value}.",
    },
    "voice_chart_summary_none": {
        "vi": "Chưa đủ dữ liệu để nêu tỷ lệ của lý do nào.",
        "en": "Not enough data for any reason's share.",
    },
    "voice_axis": {
        "vi": "Thanh bắt đầu từ 0%; trục đến {end}, bao trọn mọi khoảng tin cậy; gạch ngang: khoảng tin cậy.",
        "en": "Bars start at 0%; the axis runs to {end} and takes in every interval; whiskers: intervals.",
    },
    "voice_table_caption": {"vi": "Bảng lý do chưa hài lòng", "en": "Table of reasons for dissatisfaction"},
    "voice_col_reason": {"vi": "Lý do", "en": "Reason"},
    "voice_col_count": {"vi": "Số lượt chọn", "en": "Answers"},
    "voice_col_share": {"vi": "Tỷ lệ (khoảng tin cậy {level})", "en": "Share ({level} interval)"},
    "voice_not_enough": {"vi": "chưa đủ dữ liệu", "en": "not enough data"},
    "voice_answers": {"vi": "{n} lượt chọn", "en": "{n} answers"},
    "voice_download_reasons": {"vi": "Tải bảng lý do (CSV)", "en": "Download the reasons (CSV)"},
    "voice_comments_title": {"vi": "Góp ý của người dân", "en": "Citizens' comments"},
    "voice_hidden_title": {"vi": "Góp ý đã ẩn", "en": "Hidden comments"},
    "voice_comment_filters": {"vi": "Lọc và tìm góp ý", "en": "Filter and search the comments"},
    "voice_question": {"vi": "Câu hỏi hoặc yếu tố", "en": "Question or element"},
    "voice_answer": {"vi": "Câu trả lời", "en": "Answer"},
    "voice_any_answer": {"vi": "Mọi câu trả lời", "en": "Any answer"},
    "voice_search": {"vi": "Tìm trong góp ý", "en": "Search the comments"},
    "voice_search_help": {
        "vi": "Gõ có dấu hay không dấu đều được: “cham” tìm thấy “chậm”.",
        "en": "With or without Vietnamese accents: “cham” finds “chậm”.",
    },
    "voice_search_submit": {"vi": "Tìm", "en": "Search"},
    "voice_comments_count": {"vi": "{n} góp ý, mới nhất trước.", "en": "{n} comments, newest first."},
    "voice_masked_note": {
        "vi": "Số điện thoại, email, mã số (CCCD, hồ sơ…) và tên người viết đã được che.",
        "en": "Phone numbers, e-mail addresses, ID and dossier numbers and the writers' names are masked.",
    },
    "voice_no_comments": {"vi": "Không có góp ý nào khớp với bộ lọc.", "en": "No comment matches the filters."},
    "voice_rating": {"vi": "Đánh giá: {value} – {label}", "en": "Rating: {value} – {label}"},
    "voice_page": {"vi": "Trang {page}/{pages}", "en": "Page {page} of {pages}"},
    "voice_paging": {"vi": "Các trang góp ý", "en": "Comment pages"},
    "voice_prev": {"vi": "← Trang trước", "en": "← Previous page"},
    "voice_next": {"vi": "Trang sau →", "en": "Next page →"},
    "voice_download": {
        "vi": "Tải các góp ý khớp bộ lọc (CSV, đã che thông tin cá nhân)",
        "en": "Download the matching comments (CSV, personal data masked)",
    },
    "voice_hide": {"vi": "Ẩn góp ý này", "en": "Hide this comment"},
    "voice_show": {"vi": "Hiện lại góp ý này", "en": "Show this comment again"},
    "voice_reason_label": {"vi": "Lý do (ghi vào nhật ký)", "en": "Reason (kept in the audit log)"},
    "voice_hide_submit": {"vi": "Ẩn", "en": "Hide"},
    "voice_show_submit": {"vi": "Hiện lại", "en": "Show"},
    "voice_hidden_link": {"vi": "Xem {n} góp ý đã ẩn", "en": "See the {n} hidden comments"},
    "voice_visible_link": {"vi": "← Các góp ý đang hiện", "en": "← The visible comments"},
    "voice_hidden_by": {
        "vi": "Đã ẩn bởi {who} lúc {when}. Lý do: {reason}",
        "en": "Hidden by {who} at {when}. Reason: {reason}",
    },
    "voice_done_hidden": {
        "vi": "Đã ẩn góp ý. Góp ý vẫn được lưu và có thể hiện lại trong mục góp ý đã ẩn.",
        "en": "The comment is hidden. It is kept and can be shown again from the hidden comments.",
    },
    "voice_done_shown": {"vi": "Đã hiện lại góp ý.", "en": "The comment is shown again."},
    "voice_moderation_title": {"vi": "Chưa ẩn hoặc hiện được góp ý", "en": "The comment was not changed"},
    "voice_reason_missing": {
        "vi": "Cần ghi lý do ẩn hoặc hiện lại góp ý. Quay lại trang trước, điền ô “Lý do” rồi bấm lại.",
        "en": "A reason is needed to hide or show a comment. Go back, fill in “Reason” and press the button again.",
    },
    "voice_reason_long": {
        "vi": "Lý do dài quá 500 ký tự. Quay lại trang trước và rút gọn lý do.",
        "en": "The reason is longer than 500 characters. Go back and shorten it.",
    },
    "voice_forbidden_body": {
        "vi": "Chỉ quản trị viên cấp tỉnh hoặc trung ương được ẩn hoặc hiện lại góp ý.",
        "en": "Only province or national administrators may hide or show comments.",
    },
    "voice_bad_page": {
        "vi": "Số trang phải là số nguyên từ 1 trở lên; đang hiện trang 1.",
        "en": "The page must be a whole number from 1; showing page 1.",
    },
}
