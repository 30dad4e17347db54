"""Tools for the Machine Learning from Scratch seminar: the session registry, README tables and session folders."""

__version__ = "0.1.0"
