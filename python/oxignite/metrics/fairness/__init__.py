"""pytorch-ignite's fairness metrics: a base metric compared across subgroups."""

from oxignite.metrics.fairness.accuracy_difference import SubgroupAccuracyDifference
from oxignite.metrics.fairness.base import SubgroupDifference, SubgroupMetric
from oxignite.metrics.fairness.demographic_parity import DemographicParityDifference, SelectionRate

__all__ = [
    "DemographicParityDifference",
    "SelectionRate",
    "SubgroupAccuracyDifference",
    "SubgroupDifference",
    "SubgroupMetric",
]
