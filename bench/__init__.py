"""Benchmarks, run by hand: bench/throughput.py, bench/faults.py, bench/server_speed.py."""
