"""Rows 43 to 52 and 54 to 59 of the wire table: experiments, their run logs and their file
assets."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["experiments"])
