"""Smoke runs of the benchmarks of bench/ (tiny sizes, one run each)."""
