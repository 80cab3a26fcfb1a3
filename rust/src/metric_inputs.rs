//! The input handling every metric's `update` repeats per batch, done without bytecode.
//!
//! On a batch of a few dozen samples a metric's own torch work is a handful of dispatcher
//! calls; reading its inputs in Python first (is it a `(y_pred, y)` pair, detach what is in a
//! graph, compare the shapes, is the result on the metric's device) added a fifth to that.
//! These read the same attributes through torch's getters (tensor_attrs.rs) and return what
//! the Python would: a subclass of `torch.Tensor` is read the plain way, so its overrides run.
//! With the natives switched off each runs its Python reference (`oxignite/_reference.py`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::natives::{enabled, reference};
use crate::tensor_attrs::TensorAttrs;

/// Whether `output` is the common `(y_pred, y)`: a tuple (exactly) of two tensors.
#[pyfunction]
pub fn is_tensor_pair(output: &Bound<'_, PyAny>) -> PyResult<bool> {
    if !enabled() {
        return reference(output.py(), "is_tensor_pair")?
            .call1((output,))?
            .extract();
    }
    let Ok(pair) = output.cast_exact::<PyTuple>() else {
        return Ok(false);
    };
    if pair.len() != 2 {
        return Ok(false);
    }
    let attrs = TensorAttrs::get(output.py())?;
    Ok(attrs.is_tensor(&pair.get_item(0)?)? && attrs.is_tensor(&pair.get_item(1)?)?)
}

/// `(y_pred, y, y_pred.shape, y.shape)` of `output[0]`, `output[1]`, each tensor detached
/// when it requires grad (`detach()` builds a new tensor: skipped when it is not needed).
#[pyfunction]
pub fn detached_pair<'py>(output: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    if !enabled() {
        return Ok(reference(output.py(), "detached_pair")?
            .call1((output,))?
            .cast_into::<PyTuple>()?);
    }
    let (y_pred, y) = match output.cast_exact::<PyTuple>() {
        Ok(pair) if pair.len() >= 2 => (pair.get_item(0)?, pair.get_item(1)?),
        _ => (output.get_item(0)?, output.get_item(1)?),
    };
    let attrs = TensorAttrs::get(output.py())?;
    let (y_pred, pred_shape) = detached_with_shape(y_pred, attrs)?;
    let (y, y_shape) = detached_with_shape(y, attrs)?;
    PyTuple::new(output.py(), [y_pred, y, pred_shape, y_shape])
}

fn detached_with_shape<'py>(
    x: Bound<'py, PyAny>,
    attrs: &'static TensorAttrs,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let py = x.py();
    let (requires_grad, shape) = match attrs.exact(&x) {
        Some(t) => (t.requires_grad()?, t.shape()?),
        None => (
            x.getattr(intern!(py, "requires_grad"))?.is_truthy()?,
            x.getattr(intern!(py, "shape"))?,
        ),
    };
    let x = if requires_grad {
        x.call_method0(intern!(py, "detach"))?
    } else {
        x
    };
    Ok((x, shape))
}

/// `t` itself when it is on `device` already, else `t.to(device)`.
#[pyfunction]
pub fn on_device<'py>(
    t: Bound<'py, PyAny>,
    device: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = t.py();
    if !enabled() {
        return reference(py, "on_device")?.call1((t, device));
    }
    // The common case, a CPU tensor for a CPU metric, without building `t.device`.
    let attrs = TensorAttrs::get(py)?;
    if let Some(exact) = attrs.exact(&t) {
        if exact.is_cpu()? && attrs.is_cpu_device(device)? {
            return Ok(t);
        }
    }
    if t.getattr(intern!(py, "device"))?.eq(device)? {
        Ok(t)
    } else {
        t.call_method1(intern!(py, "to"), (device,))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyo3::types::PyList;

    /// Without torch, a pair's items are not tensors and the check stops at the tuple's
    /// shape where it can. (Tensors are tested from Python: tests/metrics/test_metric_inputs.py.)
    #[test]
    fn non_tuples_are_not_pairs() {
        Python::attach(|py| {
            for output in [
                py.None().into_bound(py),
                PyList::new(py, [1, 2]).unwrap().into_any(),
                PyTuple::new(py, [1, 2, 3]).unwrap().into_any(),
            ] {
                assert!(!is_tensor_pair(&output).unwrap());
            }
        });
    }
}
