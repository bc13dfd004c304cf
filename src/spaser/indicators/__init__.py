"""Indicators of the SPASER and of the law: catalogue, engine, targets, outputs."""
