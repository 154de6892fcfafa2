"""The one error type of the report: an input file or folder that is missing or unreadable."""


class ReportInputError(Exception):
    """A results file or folder the report needs is missing or corrupt; the message names it."""
