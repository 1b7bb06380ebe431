"""The masker of personal data in comments (``app/responses/masking.py``), exact input → output, and the folding that
lets a search match Vietnamese with or without diacritics. No database."""

from __future__ import annotations

import unicodedata

import pytest

from app.responses.masking import fold, mask, matches

MASKED = [
    # phone numbers: mobile, landline, +84, with spaces, dots, dashes, brackets
    ("Gọi tôi 0912 345 678 nhé", "Gọi tôi [số điện thoại] nhé"),
    ("SĐT:0912345678.", "SĐT:[số điện thoại]."),
    ("Liên hệ 0912.345.678 hoặc 0987-654-321", "Liên hệ [số điện thoại] hoặc [số điện thoại]"),
    ("Số máy bàn 024 3825 1234", "Số máy bàn [số điện thoại]"),
    ("Gọi (024) 3825 1234 giờ hành chính", "Gọi [số điện thoại] giờ hành chính"),
    ("zalo +84 912 345 678", "zalo [số điện thoại]"),
    ("+84912345678", "[số điện thoại]"),
    ("84-24-3825-1234 là số nhà tôi", "[số điện thoại] là số nhà tôi"),
    ("+84 (0) 912 345 678", "[số điện thoại]"),
    # e-mail addresses
    ("Email: an.nguyen+sipas@gmail.com, cảm ơn", "Email: [email], cảm ơn"),
    ("gửi về hotro@sotuphap.minhan.gov.vn", "gửi về [email]"),
    # dossier codes and ID numbers
    ("Hồ sơ 000.00.12.H26-261120-4711 trễ hẹn", "Hồ sơ [mã số] trễ hẹn"),
    ("Mã H26.22-240101-0001 chưa có kết quả", "Mã [mã số] chưa có kết quả"),
    ("CCCD 001098012345 bị sai tên", "CCCD [mã số] bị sai tên"),
    ("CMND số: 123456789", "CMND số: [mã số]"),
    ("căn cước công dân 001 098 012 345 đã nộp", "căn cước công dân [mã số] đã nộp"),
    ("mã hồ sơ 2411-7788 chưa xử lý", "mã hồ sơ [mã số] chưa xử lý"),
    ("số 001098012345 của tôi", "số [mã số] của tôi"),
    # names after "tôi là", "tên tôi là", "tên là", "tôi tên"
    ("Gọi tôi 0912 345 678, tôi là Nguyễn Văn An", "Gọi tôi [số điện thoại], tôi là [tên]"),
    ("Tên tôi là Trần Thị Bích Ngọc, ở xã An Hòa", "Tên tôi là [tên], ở xã An Hòa"),
    ("tôi tên Hùng, chờ 2 tiếng", "tôi tên [tên], chờ 2 tiếng"),
    ("Con tên là Lê Minh. Cảm ơn", "Con tên là [tên]. Cảm ơn"),
    ("Họ và tên: Phạm Văn Đức", "Họ và tên: [tên]"),
    ("TÔI LÀ Đỗ Quang Huy", "TÔI LÀ [tên]"),
    # everything at once
    (
        "Tôi là Nguyễn Văn An, SĐT 0912 345 678, email an@gmail.com, hồ sơ 000.00.12.H26-261120-4711",
        "Tôi là [tên], SĐT [số điện thoại], email [email], hồ sơ [mã số]",
    ),
]

KEPT = [
    "Năm 2025 chờ lâu hơn năm 2024",
    "Mở cửa lúc 8:30, đến 11:30 mới được gọi",
    "Quầy số 1 và quầy số 12 đông quá",
    "Phí 150.000 đồng, ngày 12/03/2025 nộp",
    "Tôi là người dân xã An Hòa, chờ 45 phút",
    "Tổng đài 1900 1234 không ai nghe",
    "Đăng ký kinh doanh cho 3-4 người, phòng 2.05",
    "Cán bộ hướng dẫn nhiệt tình, chu đáo.",
    "",
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", KEPT)
def test_what_is_not_personal_stays(text: str) -> None:
    assert mask(text) == text


def test_english_labels() -> None:
    text = "Tôi là Nguyễn Văn An, 0912 345 678, an@gmail.com, CCCD 001098012345"
    assert mask(text, "en") == "Tôi là [name], [phone number], [email], CCCD [ID number]"


def test_decomposed_input_is_masked_like_composed_input() -> None:
    """A phone keyboard may send Vietnamese decomposed (NFD): the name trigger must still be found."""
    decomposed = unicodedata.normalize("NFD", "tôi là Nguyễn Văn An")
    assert mask(decomposed) == "tôi là [tên]"


def test_masking_twice_changes_nothing_more() -> None:
    for text, masked in MASKED:
        assert mask(masked) == masked, text


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Chậm", "cham"),
        ("ĐƯỜNG đi", "duong di"),
        ("Thái độ  công chức\n", "thai do cong chuc"),
        ("Hướng dẫn không rõ ràng", "huong dan khong ro rang"),
        (unicodedata.normalize("NFD", "Nguyễn"), "nguyen"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "query", "found"),
    [
        ("Giải quyết hồ sơ chậm quá", "cham", True),
        ("Giải quyết hồ sơ chậm quá", "chậm", True),
        ("Giải quyet ho so cham qua", "chậm", True),
        ("Đường vào trụ sở khó tìm", "duong", True),
        ("Đường vào trụ sở khó tìm", "DUONG kho", True),
        ("Đường vào trụ sở khó tìm", "duong nhanh", False),
        ("Cán bộ nhiệt tình", "", True),
    ],
)
def test_matches_with_or_without_diacritics(text: str, query: str, found: bool) -> None:
    assert matches(text, query) is found
