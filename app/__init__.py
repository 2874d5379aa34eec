"""SCIM 2.0 provisioning server."""
