"""Templates that ``lamella module new`` copies to start a module."""
