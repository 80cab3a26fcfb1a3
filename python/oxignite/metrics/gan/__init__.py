"""pytorch-ignite's GAN metrics: ``from oxignite.metrics.gan import FID, InceptionScore``.

scipy (FID) and torchvision (the default Inception-v3 extractor) are imported on first use.
"""

from oxignite.metrics.gan.fid import FID
from oxignite.metrics.gan.inception_score import InceptionScore

__all__ = ["FID", "InceptionScore"]
