"""Benchmarks that check the speed targets of issue 13 against the code and a running stack (never timed tests)."""
