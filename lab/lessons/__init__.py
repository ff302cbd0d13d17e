"""What only the weeks use: week demos, exercise checks, running the notebooks."""
