"""transition: run IT-outsourcing transitions from the terminal."""

__version__ = "0.1.0"
