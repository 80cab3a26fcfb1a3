//! EpochMetric's per-batch work, done without Python bytecode.
//!
//! EpochMetric keeps a copy of every batch: its own work is two `clone()`s, and the checks
//! ignite makes around them (shape, dtype, grad, device) cost as much again when written in
//! Python. `store_pair` does the common case's checks through the C API and falls back to the
//! Python `update`, which makes every check and raises ignite's errors, in every other case.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::tensor_attrs::TensorAttrs;

/// EpochMetric's common batch: `output` is a tuple `(y_pred, y)` of CPU tensors (exactly of
/// type `torch.Tensor`, as the stored ones) that need no grad, of shape `(N,)` or `(N, k)`,
/// with the dtypes of the batches already stored. Appends a copy of each (squeezed to `(N,)` when `k == 1`, as ignite does) to `metric._predictions` /
/// `metric._targets`, drops `metric._result` and returns True. In every other case (the first
/// batch, which also checks `compute_fn`; a dtype to report; a device move; a tensor in a
/// graph; the natives switched off) it changes nothing and returns False, and the caller
/// takes the Python path.
#[pyfunction]
pub fn store_pair(metric: &Bound<'_, PyAny>, output: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = metric.py();
    if !crate::natives::enabled() {
        return Ok(false);
    }
    let Ok(pair) = output.cast_exact::<PyTuple>() else {
        return Ok(false);
    };
    if pair.len() != 2 {
        return Ok(false);
    }
    let predictions = metric.getattr(intern!(py, "_predictions"))?;
    let targets = metric.getattr(intern!(py, "_targets"))?;
    let (Ok(predictions), Ok(targets)) = (
        predictions.cast_exact::<PyList>(),
        targets.cast_exact::<PyList>(),
    ) else {
        return Ok(false);
    };
    let stored = predictions.len();
    if stored == 0 || targets.len() != stored {
        return Ok(false);
    }
    let attrs = TensorAttrs::get(py)?;
    let y_pred = pair.get_item(0)?;
    let y = pair.get_item(1)?;
    // All checks before any change: a False return must leave the metric as it was.
    let Some(squeeze_pred) = storable(&y_pred, &predictions.get_item(stored - 1)?, attrs)? else {
        return Ok(false);
    };
    let Some(squeeze_y) = storable(&y, &targets.get_item(stored - 1)?, attrs)? else {
        return Ok(false);
    };
    predictions.append(stored_copy(y_pred, squeeze_pred)?)?;
    targets.append(stored_copy(y, squeeze_y)?)?;
    let result = intern!(py, "_result");
    if !metric.getattr(result)?.is_none() {
        metric.setattr(result, py.None())?;
    }
    Ok(true)
}

/// How `x` can be stored beside `last` (the last stored copy of its list), if it can: both
/// exactly of type `torch.Tensor`, `x` on the CPU, out of any graph, with `last`'s dtype, of
/// shape `(N,)` (`false`: as it is) or `(N, k)` (`k == 1`: whether its trailing dimension is
/// squeezed).
fn storable<'py>(
    x: &Bound<'py, PyAny>,
    last: &Bound<'py, PyAny>,
    attrs: &'static TensorAttrs,
) -> PyResult<Option<bool>> {
    let (Some(x), Some(last_exact)) = (attrs.exact(x), attrs.exact(last)) else {
        return Ok(None);
    };
    if x.requires_grad()? || !x.is_cpu()? {
        return Ok(None);
    }
    // torch's dtypes are singletons: the same dtype is the same object.
    if !x.dtype()?.is(&last_exact.dtype()?) {
        return Ok(None);
    }
    let squeeze = match x.ndim()? {
        1 => false,
        2 => x.shape()?.get_item(1)?.extract::<i64>()? == 1,
        _ => return Ok(None),
    };
    Ok(Some(squeeze))
}

/// The copy EpochMetric keeps of `x`: ignite's `x.squeeze(dim=-1)` first when `squeeze`.
fn stored_copy<'py>(x: Bound<'py, PyAny>, squeeze: bool) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let x = if squeeze {
        x.call_method1(intern!(py, "squeeze"), (-1,))?
    } else {
        x
    };
    x.call_method0(intern!(py, "clone"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyo3::types::PyDict;

    /// Without torch, nothing is a tensor: every call leaves the metric alone. (The stored
    /// path is tested with torch from Python, tests/metrics/test_epoch_metric.py.)
    #[test]
    fn non_pairs_fall_back_unchanged() {
        Python::attach(|py| {
            let ns = py
                .import("types")
                .unwrap()
                .getattr("SimpleNamespace")
                .unwrap();
            let kwargs = PyDict::new(py);
            kwargs.set_item("_predictions", PyList::empty(py)).unwrap();
            kwargs.set_item("_targets", PyList::empty(py)).unwrap();
            kwargs.set_item("_result", 1).unwrap();
            let metric = ns.call((), Some(&kwargs)).unwrap();
            for output in [
                py.None().into_bound(py),
                PyList::new(py, [1, 2]).unwrap().into_any(),
                PyTuple::new(py, [1, 2, 3]).unwrap().into_any(),
                PyTuple::new(py, [1, 2]).unwrap().into_any(),
            ] {
                assert!(!store_pair(&metric, &output).unwrap());
            }
            assert_eq!(
                metric.getattr("_result").unwrap().extract::<i64>().unwrap(),
                1
            );
        });
    }
}
