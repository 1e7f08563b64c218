"""One module per concern; each defines a pulumi.ComponentResource with a frozen dataclass of args."""
