"""Benchmarks that need more than the CLI offers (the fake platform servers)."""
