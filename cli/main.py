"""The ``stance`` command: one subcommand per workflow step.

Each group lives in its own module (``cli/<step>.py``) so the command stays small to read
and each step's inputs and outputs are declared where it is implemented.
"""

from __future__ import annotations

import os

import typer

from cli import data, extract, modelling, scoring, serving, summit, teacher
from cli.common import DEBUG_ENV

app = typer.Typer(help="summit-stance: who said what, for whom, toward whom, and how.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show the traceback of every error, expected or not.")
         ) -> None:
    """summit-stance: who said what, for whom, toward whom, and how."""
    if debug:
        os.environ[DEBUG_ENV] = "1"

extract.register(app)
data.register(app)
modelling.register(app)
scoring.register(app)
serving.register(app)
summit.register(app)
teacher.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
