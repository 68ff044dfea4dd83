"""Shared utilities for betty-lite skills."""
