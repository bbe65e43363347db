"""The one error type users see: a single line naming the field and what is allowed (exit code 2)."""


class PharmakonError(ValueError):
    """Bad input from a user: a wrong field, an unknown name, an out-of-range value, an empty dataset."""


class StageInputError(PharmakonError):
    """A stage's recipe field that its data cannot satisfy, found only once the data is built (e.g. a corpus shorter
    than one ``max_length`` block). The engine names the stage: ``pipeline.<stage>.<field>: <message>``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
