"""Configuration constants."""

SPEC_VERSION = "3.1.0"
