"""The benchmarks: scripts run by hand (README.md says how) and the modules they share."""
