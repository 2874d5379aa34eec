"""SCIM protocol logic: scim2-models in, plain data out; never FastAPI, never SQL."""
