"""The local stack for the demo, the end-to-end tests and the benchmarks: broker, simulator, workers.

Nothing here is imported by the service; it starts real processes and talks to them over the wire.
"""
