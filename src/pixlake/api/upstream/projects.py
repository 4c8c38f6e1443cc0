"""Rows 36 to 42 of the wire table: projects, the datasets attached to them, their workers."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["projects"])
