"""Benchmarks of what users pay for: cold start, warm latency, per-call overhead, size, throughput.

Every figure is set against a floor measured in the same run (bench/floor/), because the
machines these run on are shared and noisy. ``make bench`` runs them all (``python -m bench``)
and writes bench/RESULTS.md; CI does not run them.
"""
