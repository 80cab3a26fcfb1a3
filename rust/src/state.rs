//! The engine's run state as native fields.
//!
//! The run loop writes `iteration`, `batch`, `output`, ... as plain struct fields, with no
//! Python attribute lookups. Python's `oxignite.engine.State` subclasses this class, which
//! gives it a `__dict__` for user attributes, its docstring and its `__repr__`.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};

#[pyclass(module = "oxignite._core", subclass, name = "NativeState")]
pub struct NativeState {
    #[pyo3(get)]
    pub iteration: i64,
    #[pyo3(get)]
    pub epoch: i64,
    #[pyo3(get)]
    pub epoch_length: Option<i64>,
    #[pyo3(get)]
    pub max_epochs: Option<i64>,
    #[pyo3(get)]
    pub max_iters: Option<i64>,
    #[pyo3(get, set)]
    pub output: Py<PyAny>,
    #[pyo3(get, set)]
    pub batch: Py<PyAny>,
    #[pyo3(get, set)]
    pub metrics: Py<PyAny>,
    #[pyo3(get, set)]
    pub dataloader: Py<PyAny>,
    #[pyo3(get, set)]
    pub seed: Py<PyAny>,
    #[pyo3(get, set)]
    pub times: Py<PyAny>,
}

/// A counter assigned from Python: an int in 64 bits. A bigger one is refused with a
/// ValueError naming the attribute (not an OverflowError, and never wrapped).
fn counter(name: &str, value: &Bound<'_, PyAny>) -> PyResult<i64> {
    value.extract::<i64>().map_err(|err| {
        if err.is_instance_of::<PyOverflowError>(value.py()) {
            PyValueError::new_err(format!(
                "state.{name} should be an integer in [-2**63, 2**63), got {value}"
            ))
        } else {
            err
        }
    })
}

fn optional_counter(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if value.is_none() {
        return Ok(None);
    }
    counter(name, value).map(Some)
}

/// `(epoch, iteration)`, for profiling spans. Out of line so the run loop's hot code keeps
/// its own (inlined) borrows.
#[inline(never)]
pub fn counters(state: &Bound<'_, NativeState>) -> (i64, i64) {
    let s = state.borrow();
    (s.epoch, s.iteration)
}

pub const EPOCH_COMPLETED_TIME: &str = "EPOCH_COMPLETED";
pub const COMPLETED_TIME: &str = "COMPLETED";

#[pymethods]
impl NativeState {
    /// Accepts (and ignores) any arguments so that Python subclasses may define their own
    /// `__init__(**kwargs)`.
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    pub(crate) fn py_new(
        py: Python<'_>,
        _args: &Bound<'_, PyAny>,
        _kwargs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let times = PyDict::new(py);
        times.set_item(EPOCH_COMPLETED_TIME, py.None())?;
        times.set_item(COMPLETED_TIME, py.None())?;
        Ok(NativeState {
            iteration: 0,
            epoch: 0,
            epoch_length: None,
            max_epochs: None,
            max_iters: None,
            output: py.None(),
            batch: py.None(),
            metrics: PyDict::new(py).into_any().unbind(),
            dataloader: py.None(),
            seed: py.None(),
            times: times.into_any().unbind(),
        })
    }

    #[setter]
    fn set_iteration(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.iteration = counter("iteration", value)?;
        Ok(())
    }

    #[setter]
    fn set_epoch(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.epoch = counter("epoch", value)?;
        Ok(())
    }

    #[setter]
    fn set_epoch_length(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.epoch_length = optional_counter("epoch_length", value)?;
        Ok(())
    }

    #[setter]
    fn set_max_epochs(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.max_epochs = optional_counter("max_epochs", value)?;
        Ok(())
    }

    #[setter]
    fn set_max_iters(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.max_iters = optional_counter("max_iters", value)?;
        Ok(())
    }

    /// ignite's `_is_done`: the run has reached max_iters, or max_epochs (counted in
    /// epochs or in iterations).
    pub fn is_done(&self) -> bool {
        let by_iters = self.max_iters.is_some_and(|m| self.iteration >= m);
        let by_count = match (self.epoch_length, self.max_epochs) {
            (Some(len), Some(max)) => self.iteration >= len.saturating_mul(max),
            _ => false,
        };
        let by_epochs = self.max_epochs.is_some_and(|m| self.epoch >= m);
        by_iters || by_count || by_epochs
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for field in [
            &self.output,
            &self.batch,
            &self.metrics,
            &self.dataloader,
            &self.seed,
            &self.times,
        ] {
            visit.call(field)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        Python::attach(|py| {
            for field in [
                &mut self.output,
                &mut self.batch,
                &mut self.metrics,
                &mut self.dataloader,
                &mut self.seed,
                &mut self.times,
            ] {
                *field = py.None();
            }
        });
    }
}
