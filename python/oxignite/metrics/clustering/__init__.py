"""pytorch-ignite's clustering metrics (scikit-learn scores over the whole epoch)."""

from oxignite.metrics.clustering.calinski_harabasz_score import CalinskiHarabaszScore
from oxignite.metrics.clustering.davies_bouldin_score import DaviesBouldinScore
from oxignite.metrics.clustering.silhouette_score import SilhouetteScore

__all__ = ["CalinskiHarabaszScore", "DaviesBouldinScore", "SilhouetteScore"]
