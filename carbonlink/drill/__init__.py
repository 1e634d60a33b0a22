"""Simulation drills: scenario files, the analytical equilibrium benchmark, and (later) the runner."""
