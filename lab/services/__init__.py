"""The services, one module each, with the same lifecycle on both targets; processes, artifacts, the stack."""
