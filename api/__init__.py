"""The doors: the `abstracts` command line and the HTTP API, both thin layers over one engine."""
