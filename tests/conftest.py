"""Shared test configuration: pytester is used to prove the conformance kit can fail."""

pytest_plugins = ["pytester"]
