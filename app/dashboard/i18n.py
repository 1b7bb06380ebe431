"""The dashboard's own words, Vietnamese first. Same shape as the citizen pages' ``app.public.i18n``; agency,
counter and metric names come from the directory and the form definitions."""

from __future__ import annotations

from app.public.i18n import Lang

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
    # the method page
    "method_title": {"vi": "Cách tính các con số", "en": "How the figures are computed"},
    "method_intro": {
        "vi": "Trang này giải thích các con số trên bảng điều khiển được tính thế nào và khi nào được phép kết luận từ "
        "chúng. Phương pháp theo Chỉ số hài lòng về sự phục vụ hành chính (SIPAS) của Bộ Nội vụ (Quyết định "
        "1001/QĐ-BNV); mọi con số do bộ phận thống kê của hệ thống tính và được kiểm tra khớp với gói survey của R.",
        "en": "This page explains how the dashboard's figures are computed and when a conclusion may be drawn from "
        "them. The method follows the Ministry of Home Affairs' index of satisfaction with public administrative "
        "services (SIPAS, Decision 1001/QĐ-BNV); every figure comes from the service's statistics engine, checked "
        "against R's survey package.",
    },
    "method_contents": {"vi": "Nội dung", "en": "Contents"},
    "method_index_title": {"vi": "Chỉ số được tính thế nào", "en": "What the index is"},
    "method_index_scale": {
        "vi": "Mỗi câu hỏi có 5 mức, từ 1 (rất không hài lòng) đến 5 (rất hài lòng). “Hài lòng” là mức 4 hoặc 5; "
        "mức 3 không được tính là hài lòng. Câu bỏ trống hoặc “không áp dụng” không vào mẫu số: không bị coi là "
        "không hài lòng.",
        "en": "Each question has five levels, from 1 (very dissatisfied) to 5 (very satisfied). “Satisfied” means "
        "level 4 or 5; level 3 does not count as satisfied. A question left blank or “not applicable” is left out "
        "of the denominator: it never counts as dissatisfied.",
    },
    "method_index_item": {
        "vi": "Tỷ lệ hài lòng của một câu hỏi = tổng trọng số của những người hài lòng ÷ tổng trọng số của những "
        "người trả lời câu đó.",
        "en": "A question's satisfaction rate = the summed weights of those satisfied ÷ the summed weights of those "
        "who answered it.",
    },
    "method_index_means": {
        "vi": "Chỉ số của một yếu tố là trung bình cộng tỷ lệ các câu hỏi của yếu tố; chỉ số thành phần là trung bình "
        "cộng các yếu tố; chỉ số SIPAS là trung bình cộng các chỉ số thành phần, theo định nghĩa của phiếu đang dùng.",
        "en": "An element's index is the plain mean of its questions' rates; a component index is the mean of its "
        "elements; the SIPAS index is the mean of the component indices, as the form in use defines them.",
    },
    "method_index_pooled": {
        "vi": "Chỉ số chung của một phạm vi (tỉnh, sở) gộp mọi phiếu của các cơ quan trong phạm vi, có trọng số. Trang "
        "tổng quan ghi thêm “trung bình cộng các đơn vị” — mỗi cơ quan tính một lần dù lớn hay nhỏ — là cách các con "
        "số SIPAS thường được công bố. Hai con số trả lời hai câu hỏi khác nhau: mức hài lòng của người được phục vụ, "
        "và mức trung bình của các đơn vị.",
        "en": "A scope's headline (a province, a department) pools every response of its agencies, weighted. The "
        "overview also gives the “plain mean of units” — each agency counts once, whatever its size — which is how "
        "SIPAS figures are usually published. The two answer different questions: how satisfied the people served "
        "are, and how the units do on average.",
    },
    "method_index_rows": {
        "vi": "Trong bảng tổng quan, dòng của mỗi cơ quan chỉ gồm phiếu của riêng cơ quan đó. Cơ quan có đơn vị trực "
        "thuộc được ghi “(riêng cơ quan này)”, hoặc không có dòng nếu không có phiếu riêng; trang chi tiết của nó "
        "gộp cả các đơn vị trực thuộc.",
        "en": "In the overview's table each agency's row holds its own responses only. An agency with agencies below "
        "it is labelled “(this agency alone)”, or has no row when it has no responses of its own; its detail page "
        "pools the agencies below it.",
    },
    "method_weights_title": {"vi": "Trọng số", "en": "Weights"},
    "method_weights_why": {
        "vi": "Người dân tự chọn quét mã QR hay dùng máy tính bảng, và số phiếu một cơ quan nhận được không tỷ lệ với "
        "số hồ sơ cơ quan đó giải quyết. Vì vậy mỗi phiếu của một cơ quan trong một tháng đại diện cho N/n hồ sơ: N "
        "là số hồ sơ đã giải quyết, n là số phiếu nhận được. Khi có số hồ sơ theo lĩnh vực thủ tục, trọng số được "
        "điều chỉnh (raking) để khớp cả tổng số lẫn cơ cấu lĩnh vực.",
        "en": "People choose to scan a QR code or use a kiosk, and the responses an agency receives are not in "
        "proportion to the dossiers it handles. So each response of an agency in a month stands for N/n dossiers: N "
        "dossiers handled, n responses received. Where dossier counts by procedure field exist, the weights are "
        "raked to match both the total and the mix of fields.",
    },
    "method_weights_missing": {
        "vi": "Tháng chưa có số hồ sơ: phiếu của tháng đó nhận trọng số chung ΣN/Σn của cả lựa chọn, và trang ghi tên "
        "các cơ quan đó. Không có số hồ sơ nào cả thì các con số không có trọng số, và trang ghi rõ điều đó.",
        "en": "Months without a dossier count: their responses take the overall weight ΣN/Σn of the selection, and "
        "the page names those agencies. With no counts at all the figures are unweighted, and the page says so.",
    },
    "method_design_title": {"vi": "Thiết kế mẫu", "en": "The design"},
    "method_design_strata": {
        "vi": "Mỗi cơ quan × tháng là một tầng; mỗi quầy × tuần (ngày 1–7, 8–14, 15–21, 22–28, 29–31) là một cụm. "
        "Phiếu cùng quầy cùng tuần thường giống nhau hơn phiếu bất kỳ, nên sai số được tính theo cụm — rộng hơn, và "
        "trung thực hơn, so với coi mỗi phiếu là độc lập.",
        "en": "Each agency × month is a stratum; each counter × week (days 1–7, 8–14, 15–21, 22–28, 29–31) is a "
        "cluster. Responses from one counter in one week are more alike than any two responses, so the error is "
        "computed by cluster — wider, and more honest, than treating every response as independent.",
    },
    "method_design_df": {
        "vi": "Bậc tự do = số cụm − số tầng. Một quầy trong một tháng chỉ có khoảng 4 bậc tự do, nên con số của một "
        "quầy trong một tháng luôn kém chắc chắn hơn số phiếu gợi ý. “Cỡ mẫu hiệu dụng” trong các bảng là số phiếu "
        "độc lập cho cùng độ chính xác; thường nhỏ hơn số phiếu.",
        "en": "Degrees of freedom = clusters − strata. One counter in one month has about 4, so a counter's monthly "
        "figure is always less certain than its number of responses suggests. The tables' “effective n” is the "
        "number of independent responses that would give the same precision; it is usually smaller than the count.",
    },
    "method_interval_title": {"vi": "Khoảng tin cậy", "en": "Confidence intervals"},
    "method_interval_how": {
        "vi": "Mỗi con số đi kèm khoảng tin cậy {level}: phương sai theo thiết kế (tuyến tính hóa Taylor, như gói "
        "survey của R) và khoảng {method} (phân phối beta) với phân vị t theo bậc tự do của thiết kế, đúng cả khi tỷ "
        "lệ gần 0% hay 100%. Khoảng không bao giờ hẹp hơn dữ liệu cho phép: khi mọi phiếu đến từ một cụm, khoảng là "
        "0–100%.",
        "en": "Every figure comes with a {level} interval: a design-based variance (Taylor linearisation, as R's "
        "survey package computes it) and the {method} (beta) interval with t quantiles on the design's degrees of "
        "freedom, sound near 0% and 100% too. No interval is narrower than the data allow: when every response comes "
        "from one cluster, the interval is 0–100%.",
    },
    "method_interval_charts": {
        "vi": "Trên biểu đồ thanh, vạch ngang là khoảng tin cậy. Thanh bắt đầu từ 0% và trục của mọi biểu đồ thanh là "
        "0–100%, nên độ dài các thanh so sánh được với nhau và không vạch nào bị cắt. Đường đứt nét là mục tiêu mà "
        "chính dòng đó được so (không có mục tiêu thì không vẽ).",
        "en": "On the bar charts the whisker is the interval. Bars start at 0% and every bar chart's axis runs from 0 "
        "to 100%, so bar lengths compare and no whisker is cut. The dashed line is the target the row itself is "
        "judged against (none is drawn where there is no target).",
    },
    "method_reliability_title": {
        "vi": "Quy tắc độ tin cậy và “chưa đủ dữ liệu”",
        "en": "The reliability rule and “not enough data”",
    },
    "method_reliability_rule": {
        "vi": "Theo tiêu chuẩn trình bày tỷ lệ của NCHS (Hoa Kỳ, 2017), một con số là “ít mẫu – chưa tin cậy” khi có "
        "một trong các điều sau:",
        "en": "After the NCHS data presentation standards for proportions (2017), a figure is “small sample – not "
        "reliable” when any of these holds:",
    },
    "method_reliability_no_df": {
        "vi": "không có bậc tự do (mọi phiếu đến từ một quầy trong một tuần);",
        "en": "it has no degrees of freedom (every response comes from one counter in one week);",
    },
    "method_reliability_n": {
        "vi": "cỡ mẫu hiệu dụng (theo Korn–Graubard) dưới {n};",
        "en": "its (Korn–Graubard) effective sample size is below {n};",
    },
    "method_reliability_width": {
        "vi": "khoảng tin cậy rộng từ {width} điểm phần trăm trở lên;",
        "en": "its interval is {width} percentage points wide or more;",
    },
    "method_reliability_relative": {
        "vi": "khoảng tin cậy rộng hơn {start} điểm và hơn {relative} của chính con số.",
        "en": "its interval is wider than {start} points and than {relative} of the figure itself.",
    },
    "method_reliability_meaning": {
        "vi": "Con số như vậy vẫn được hiển thị để tham khảo, gạch chéo màu xám với ⚠. Nó không được so với mục tiêu "
        "(ghi “○ Chưa đủ dữ liệu”, màu tím, không bao giờ màu đỏ), không được xếp hạng, không được so với tháng "
        "trước, không sinh cảnh báo, và không được chọn là yếu tố hay câu hỏi “thấp nhất” khi có con số tin cậy.",
        "en": "Such a figure is still shown, for reference, hatched grey with ⚠. It is not compared with the target "
        "(it reads “○ Not enough data”, in violet, never red), not ranked, not compared with the previous month, "
        "raises no alert, and is never picked as the “lowest” element or question when a reliable one exists.",
    },
    "method_reliability_unknown": {
        "vi": "“Chưa đủ dữ liệu” nghĩa là chưa biết — không phải đạt, cũng không phải chưa đạt. Cần thêm phiếu (thêm "
        "tuần, thêm quầy) trước khi kết luận.",
        "en": "“Not enough data” means not known — neither met nor not met. More responses (more weeks, more "
        "counters) are needed before any conclusion.",
    },
    "method_verdicts_title": {"vi": "So với mục tiêu", "en": "Verdicts against the target"},
    "method_verdict_met": {
        "vi": "cận dưới của khoảng tin cậy ≥ mục tiêu.",
        "en": "the interval's lower bound is at or above the target.",
    },
    "method_verdict_not_met": {
        "vi": "cận trên của khoảng tin cậy < mục tiêu.",
        "en": "the interval's upper bound is below the target.",
    },
    "method_verdict_inconclusive": {
        "vi": "khoảng tin cậy chứa mục tiêu: dữ liệu chưa đủ để nói đạt hay chưa đạt.",
        "en": "the interval contains the target: the data cannot tell met from not met.",
    },
    "method_verdict_insufficient_data": {
        "vi": "con số chưa tin cậy (mục trên), nên không được so.",
        "en": "the figure is not reliable (above), so it is not compared.",
    },
    "method_verdicts_p": {
        "vi": "Kèm theo là giá trị p một phía của giả thuyết “tỷ lệ thật dưới mục tiêu”: càng nhỏ càng là bằng chứng "
        "đạt mục tiêu. Nó được suy từ chính khoảng tin cậy, nên không bao giờ mâu thuẫn với kết luận.",
        "en": "Beside it is the one-sided p-value of “the true rate is below the target”: the smaller, the stronger "
        "the evidence that the target is met. It comes from the same interval, so it never contradicts the verdict.",
    },
    "method_verdicts_which": {
        "vi": "Mục tiêu được áp dụng là mục tiêu của chính cơ quan cho chỉ số đó, nếu không có thì mục tiêu gần nhất "
        "của cấp trên áp dụng cho cả cấp dưới, có hiệu lực vào ngày cuối của kỳ. Mục tiêu đặt cho từng chỉ số: mục "
        "tiêu SIPAS (ví dụ 86%) chỉ dùng cho chỉ số SIPAS; yếu tố và câu hỏi chỉ được so với mục tiêu đặt riêng cho "
        "chúng. Khi chưa có, bảng ghi “Không có mục tiêu” và biểu đồ không vẽ đường mục tiêu.",
        "en": "The target applied is the agency's own for that indicator, else the nearest ancestor's that applies "
        "to its subtree, in force on the last day of the period. Targets are per indicator: a SIPAS target (such as "
        "86%) applies to the SIPAS index only; elements and questions are judged only against targets set for them. "
        "Without one the table reads “No target” and the chart draws no target line.",
    },
    "method_trend_title": {"vi": "Thay đổi theo tháng và cảnh báo", "en": "Monthly changes and alerts"},
    "method_trend_rule": {
        "vi": "Một tháng chỉ được so với tháng trước khi cả hai tháng đủ tin cậy. Mọi so sánh của một chuỗi được hiệu "
        "chỉnh cùng nhau (Benjamini–Hochberg): nếu không, một tỉnh không có thay đổi thật nào vẫn bị cảnh báo giả ở "
        "khoảng một phần tư số cơ quan mỗi năm. “▼” chỉ xuất hiện khi mức giảm vẫn có ý nghĩa sau hiệu chỉnh.",
        "en": "A month is compared with the previous one only when both are reliable. All comparisons of a series are "
        "adjusted together (Benjamini–Hochberg): otherwise a province with no real change would see false alerts in "
        "about a quarter of its agencies every year. “▼” appears only when the drop is still significant after the "
        "adjustment.",
    },
    "method_trend_axis": {
        "vi": "Biểu đồ diễn biến là đường, không phải thanh: trục dọc có thể bắt đầu trên 0% (vạch thấp nhất có ghi "
        "giá trị), nhưng luôn bao trọn mọi khoảng tin cậy và mục tiêu.",
        "en": "The trend is a line, not bars: its vertical axis may start above 0% (its lowest grid line is "
        "labelled), but it always takes in every interval and target.",
    },
    "method_coverage_title": {"vi": "Điều khoảng tin cậy không tính đến", "en": "What the interval does not cover"},
    "method_coverage_then": {
        "vi": "Vì vậy “đạt” là đạt đối với những người đã trả lời. Nên đọc con số cùng số phiếu, và so số phiếu với số "
        "hồ sơ đã giải quyết.",
        "en": "So “met” means met among those who answered. Read every figure with its number of responses, and "
        "compare that number with the dossiers handled.",
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
    "verdict_met": {"vi": "Đạt", "en": "Met"},
    "verdict_not_met": {"vi": "Chưa đạt", "en": "Not met"},
    "verdict_inconclusive": {"vi": "Chưa kết luận được", "en": "Inconclusive"},
    "verdict_insufficient_data": {"vi": "Chưa đủ dữ liệu", "en": "Not enough data"},
    "verdict_none": {"vi": "Không có mục tiêu", "en": "No target"},
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
    # management pages: targets, population counts, officials (issue 17; app/dashboard/router_manage.py)
    "nav_manage": {"vi": "Quản trị", "en": "Management"},
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


def t(key: str, lang: Lang, **values: object) -> str:
    return MESSAGES[key][lang].format(**values)


# --- the counters and kiosks pages (issue 17: search, activity, posters as PDF, management) ---------------------
MESSAGES.update(
    {
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
            "vi": "{n} quầy đang dùng không có phiếu trong {days} ngày trở lên: mã QR có thể bị hỏng, bị che hoặc "
            "bị gỡ.",
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
            "vi": "{field}: “{value}” không phải cách sắp xếp (agency, name, period, total, last); đã xếp theo cơ "
            "quan.",
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
)


# --- the breakdowns page (issue 17: procedure field, channel, question, profile, hour × weekday) -----------------
MESSAGES.update(
    {
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
            "vi": "Chỉ những đặc điểm mà ít nhất một người trong kỳ đã trả lời; người không trả lời thuộc nhóm "
            "“Không rõ”.",
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
)


# --- comparisons and rankings (issue 17, "Comparisons": app/dashboard/router_compare.py) ------------------------
MESSAGES.update(
    {
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
            "en": "For reference: {parent}'s overall index (this agency included) is {value} (interval {low} – "
            "{high}).",
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
            "en": "The axis starts at {start} (dots and intervals, not bars) and still takes in every interval and "
            "target.",
        },
        "rank_summary": {
            "vi": "{ranked} cơ quan được xếp hạng, {groups} nhóm không phân biệt được; {unranked} cơ quan chưa đủ "
            "dữ liệu",
            "en": "{ranked} agencies ranked, {groups} groups not distinguishable; {unranked} agencies without "
            "enough data",
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
)


# --- the citizens' voice: reasons and comments (issue 17, "Voice of the citizen": app/dashboard/router_voice.py) -----
MESSAGES.update(
    {
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
)
