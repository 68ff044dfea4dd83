"""Errors raised by skills."""


class SkillError(Exception):
    """A skill could not complete."""
