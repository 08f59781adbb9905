"""Async backends: native where the library is async, thread-wrapped elsewhere."""
