"""Analysers of files other than Python source: secrets in configuration and text."""
