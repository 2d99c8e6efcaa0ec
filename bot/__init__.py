"""Lotse: a multilingual advisory chat bot for a Kommunales Integrationszentrum."""

__version__ = "0.1.0"
