"""The rules of Portway. Nothing here imports chalice; every function takes a context."""
