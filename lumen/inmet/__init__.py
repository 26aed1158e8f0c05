"""INMET sources: the API client, the yearly archive reader, and the fields they share."""
