"""Test support shared by the tests and the benchmarks: a scripted fault-injection server, a
server replaying the cassettes' answers, and helpers to run a serving command. Loopback only;
no production module imports this package (an import-linter contract)."""
