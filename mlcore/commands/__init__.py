"""Subcommands of `python -m mlcore`; every module here defines `register(subparsers)`."""
