"""The `autocode` command line: thin commands over the library, one module per command."""

from autocode.cli import agreement_command as agreement_command
from autocode.cli import backends_command as backends_command
from autocode.cli import code_command as code_command
from autocode.cli import evaluate_command, train_command
from autocode.cli import matrix_command as matrix_command
from autocode.cli import models_command as models_command
from autocode.cli import project_commands as project_commands
from autocode.cli import review_command as review_command
from autocode.cli import saturation_command as saturation_command
from autocode.cli import simulate_command as simulate_command
from autocode.cli import status_command as status_command
from autocode.cli import suggest_command as suggest_command
from autocode.cli.app import app, main

__all__ = ["app", "evaluate_command", "main", "train_command"]
