"""Benchmarks that print figures beside a baseline from the same run; not tests."""
