"""Sync backends."""
