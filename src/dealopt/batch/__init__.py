"""Batch work: scenario sweeps and quote-variant pricing, in process or on a Dask cluster."""
