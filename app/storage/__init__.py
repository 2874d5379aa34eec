"""Persistence: the only package that imports SQLAlchemy or SQLModel."""
