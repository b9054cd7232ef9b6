"""Task functions: pure functions of their input, run in a worker's child."""
