"""The method page: how the figures are computed, in words an official can check."""

from __future__ import annotations

from app.public.i18n import Lang

MESSAGES: dict[str, dict[Lang, str]] = {
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
}
