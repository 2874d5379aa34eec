"""HTTP surface: the only package that imports FastAPI or Starlette."""
