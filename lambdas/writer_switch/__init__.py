"""The Region switch plan's CustomActionLambda: re-point the writer endpoint an application reads."""
