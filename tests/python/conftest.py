"""Markers of the Python package's tests: `gpu` needs the CUDA backend and a GPU (skips without one);
`pytest -m gpu` runs only those, `-m 'not gpu'` leaves them out."""


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs the CUDA backend and a GPU (skips without one)")
