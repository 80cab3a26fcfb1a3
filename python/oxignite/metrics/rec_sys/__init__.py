"""pytorch-ignite's recommender-system metrics: ``from oxignite.metrics.rec_sys import NDCG``."""

from oxignite.metrics.rec_sys.hitrate import HitRate
from oxignite.metrics.rec_sys.ndcg import NDCG

__all__ = ["NDCG", "HitRate"]
