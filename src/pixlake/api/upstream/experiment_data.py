"""Rows 60 to 66 of the wire table: an experiment's data assets."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(tags=["experiment_data"])
