"""Test package (lets each folder keep its own conftest helpers)."""
