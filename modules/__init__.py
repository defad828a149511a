"""The built-in module library, shipped as package data: one folder per module."""
