"""ignite's ``contrib.engines``: the truncated-BPTT trainer and (in ``common``) helpers that
attach the usual training handlers in one call."""

from oxignite.contrib.engines.tbptt import Tbptt_Events, create_supervised_tbptt_trainer

__all__ = ["Tbptt_Events", "create_supervised_tbptt_trainer"]
