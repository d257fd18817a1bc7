"""User-facing errors: one line that names what is wrong and where, exit code 2."""


class BenchError(Exception):
    """An error the user can fix; the CLI prints its message alone and exits 2."""

    exit_code = 2
