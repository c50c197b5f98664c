"""moda-compat-proxy: serves Moda API 2026-04-12 to legacy clients over a 2026-05-01 upstream."""

__version__ = "0.1.0"
