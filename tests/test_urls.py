"""The one web-address check (app/urls.py) that the agencies' complaint links and the default one in the settings
share: what it accepts, and each refusal's words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Environment, Settings
from app.directory.service import clean_complaint_url
from app.urls import web_address

NOT_AN_ADDRESS = "is not an absolute https:// (or http://) address, e.g. https://dichvucong.gov.vn/p/home/dvc-phan-anh-kien-nghi.html"


@pytest.mark.parametrize(
    "text",
    ["https://dichvucong.gov.vn/pakn", "http://pakn.example.vn:8080/a?b=1", "https://bộ.vn/"],
)
def test_an_absolute_web_address_is_kept_as_written(text: str) -> None:
    assert web_address(text) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dichvucong.gov.vn/pakn", f"'dichvucong.gov.vn/pakn' {NOT_AN_ADDRESS}"),
        ("ftp://x.vn/a", f"'ftp://x.vn/a' {NOT_AN_ADDRESS}"),
        ("https://x.vn:99999/", f"'https://x.vn:99999/' {NOT_AN_ADDRESS}"),
        ("https://x<y>.vn/", f"'https://x<y>.vn/' {NOT_AN_ADDRESS}"),
        ("https://a b.vn/", "must be one address, without spaces or control characters"),
        ("https://x.vn/\u202e", "must be one address, without spaces or control characters"),
        ("https://an:secret@x.vn/", "must not carry a user name or password (user:password@host)"),
    ],
)
def test_what_is_not_a_web_address_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        web_address(text)
    assert str(refused.value) == message


def test_the_agencies_links_and_the_default_link_refuse_the_same_addresses() -> None:
    with pytest.raises(ValueError, match="user name or password"):
        clean_complaint_url("https://an:secret@dichvucong.gov.vn/")
    # The default link used to let credentials and a bad port through; now the setting refuses them too.
    for value in ("https://an:secret@dichvucong.gov.vn/", "https://dichvucong.gov.vn:0x50/"):
        with pytest.raises(ValidationError) as raised:
            Settings(env=Environment.test, default_complaint_url=value)
        [problem] = raised.value.errors()
        assert problem["msg"] == (
            f"Value error, {value!r} is not an absolute https:// address (leave it empty for no default link)"
        )
