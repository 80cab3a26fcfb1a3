"""The default Inception-v3 feature extractor and the shared base of FID and InceptionScore."""

from __future__ import annotations

from collections.abc import Callable

import torch

from oxignite.metrics.metric import _CPU, Metric, _identity


class InceptionModel(torch.nn.Module):
    """torchvision's Inception-v3 with ImageNet weights, in eval mode.

    Args:
        return_features: True returns the 2048 pooled features (FID), False the 1000 class
            probabilities (InceptionScore).
        device: where the model runs.

    The weights come from torchvision's cache (``torch.hub.get_dir()/checkpoints``) and are
    downloaded there on first use. Needs torchvision.

    Example::

        model = InceptionModel(return_features=False)
        probabilities = model(torch.rand(4, 3, 299, 299))  # (4, 1000)
    """

    def __init__(self, return_features: bool, device: str | torch.device = "cpu") -> None:
        try:
            from torchvision import models
        except ImportError:
            raise ModuleNotFoundError("This module requires torchvision to be installed.") from None
        super().__init__()
        self._device = device
        self.model = models.inception_v3(weights=models.Inception_V3_Weights.DEFAULT).to(device)
        if return_features:
            self.model.fc = torch.nn.Identity()
        else:
            self.model.fc = torch.nn.Sequential(self.model.fc, torch.nn.Softmax(dim=1))
        self.model.eval()

    @torch.no_grad()
    def forward(self, data: torch.Tensor) -> torch.Tensor:
        if data.dim() != 4:
            raise ValueError(f"Inputs should be a tensor of dim 4, got {data.dim()}")
        if data.shape[1] != 3:
            raise ValueError(f"Inputs should be a tensor with 3 channels, got {data.shape}")
        if data.device != torch.device(self._device):
            data = data.to(self._device)
        return self.model(data)


class _BaseInceptionMetric(Metric):
    """Runs ``feature_extractor`` on each batch and checks it returns ``(N, num_features)``."""

    def __init__(
        self,
        num_features: int | None,
        feature_extractor: torch.nn.Module | None,
        output_transform: Callable = _identity,
        device: str | torch.device = _CPU,
    ) -> None:
        if num_features is None:
            raise ValueError(
                "Argument num_features must be provided, if feature_extractor is specified."
            )
        if feature_extractor is None:
            feature_extractor = torch.nn.Identity()
        if num_features <= 0:
            raise ValueError(f"Argument num_features must be greater to zero, got: {num_features}")
        if not isinstance(feature_extractor, torch.nn.Module):
            raise TypeError(
                "Argument feature_extractor must be of type torch.nn.Module, "
                f"got {type(feature_extractor)}"
            )
        self._num_features = num_features
        self._feature_extractor = feature_extractor.to(device)
        super().__init__(output_transform=output_transform, device=device)

    def _check_feature_shapes(self, samples: torch.Tensor) -> None:
        if samples.dim() != 2:
            raise ValueError(
                f"feature_extractor output must be a tensor of dim 2, got: {samples.dim()}"
            )
        if samples.shape[0] == 0:
            raise ValueError(f"Batch size should be greater than one, got: {samples.shape[0]}")
        if samples.shape[1] != self._num_features:
            raise ValueError(
                f"num_features returned by feature_extractor should be {self._num_features}, "
                f"got: {samples.shape[1]}"
            )

    def _extract_features(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.detach()
        if inputs.device != torch.device(self._device):
            inputs = inputs.to(self._device)
        with torch.no_grad():
            outputs = self._feature_extractor(inputs).to(self._device, dtype=self._double_dtype)
        self._check_feature_shapes(outputs)
        return outputs
