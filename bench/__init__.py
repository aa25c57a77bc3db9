"""`make bench`: the app's workloads, each measured next to a bare baseline in the same run.

See docs/performance.md for the protocol, the machine and the figures.
"""
