"""The bodies of ``/api/v1/auth``: a token, and who the caller is."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TokenOut(BaseModel):
    access_token: str = Field(examples=["q0Qp6m1m0Yx…"])
    token_type: str = Field("bearer", examples=["bearer"])
    expires_in: int = Field(description="seconds until the token expires", examples=[43200])


class MeOut(BaseModel):
    username: str = Field(examples=["demo"])
    display_name: str | None = Field(examples=["Cán bộ Sở Nội vụ (demo)"])
    role: str = Field(examples=["province_admin"])
    agency: str | None = Field(
        description="code of the root of the official's scope; null for national", examples=["MA"]
    )
    expires_at: str
