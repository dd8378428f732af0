"""intake drivers: thin classes that build a store and hand it to ``databroker.v2.Broker``."""
