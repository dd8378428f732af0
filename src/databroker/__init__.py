"""databroker: find and load the data of experiments recorded as bluesky documents."""

__version__ = "2.0.0"
