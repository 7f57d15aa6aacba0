"""Errors meant for the user: the CLI prints them on one line and exits 2, the app shows them in a dialog."""


class UserError(Exception):
    """Bad input (a file, an argument, a weights file): the message says what and where."""


class Cancelled(Exception):
    """A job was cancelled between steps; nothing was changed."""
