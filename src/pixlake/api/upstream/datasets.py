"""Rows 13 to 23, 25 to 28 and 67 of the wire table: datasets, their pictures, labels and
annotations."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["datasets"])
