"""Wire models shared by every resource."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Problem", "ProblemDetail", "WireModel"]


class WireModel(BaseModel):
    """Base of request and response bodies: unknown fields are refused, by name."""

    model_config = ConfigDict(extra="forbid")


class ProblemDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: str
    field: str | None = None
    file: str | None = None
    line: int | None = None


class Problem(BaseModel):
    """RFC 9457 ``application/problem+json``, plus pixlake's ``code`` and ``errors``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemDetail] = Field(default_factory=list)
    extra: dict[str, Any] | None = None
