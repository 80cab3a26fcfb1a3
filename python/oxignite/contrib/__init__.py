"""ignite's ``contrib`` import paths: ``contrib.handlers`` and ``contrib.metrics`` re-export
what now lives in ``oxignite.handlers`` / ``oxignite.metrics``; ``contrib.engines`` holds the
truncated-BPTT trainer and the ``common`` setup helpers."""
