"""Storage: the protocol between storage and everything above it, and its implementations."""
