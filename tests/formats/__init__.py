"""Tests of ``pixlake.formats``."""
