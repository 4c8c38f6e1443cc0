"""Rows 29 to 35 of the wire table: networks, their files, labels and thumbnail."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["networks"])
