"""The one error type users see: a single line naming the field and what is allowed (exit code 2)."""


class PharmakonError(ValueError):
    """Bad input from a user: a wrong field, an unknown name, an out-of-range value, an empty dataset."""
