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
    pub epoch_length: Option<i64>,
    pub max_epochs: Option<i64>,
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
    /// `epoch_length`, `max_epochs`, `max_iters` as assigned when not ints (ignite keeps
    /// `2.0` or `np.float64(3.0)` as given), with the count derived from each: the getter
    /// returns the value as given while the native field still holds that count.
    given: [Option<Given>; 3],
}

/// A limit as assigned from Python and the count derived from it.
type Given = (i64, Py<PyAny>);

const EPOCH_LENGTH: usize = 0;
const MAX_EPOCHS: usize = 1;
const MAX_ITERS: usize = 2;

/// A counter assigned from Python: an int in 64 bits, or a float (or NumPy float) holding a
/// whole number, as ignite accepts them (MONAI's `State(max_epochs=np.ceil(...))`).
/// A bigger one, NaN, an infinity or a fraction is refused with a ValueError naming the
/// attribute (not an OverflowError, and never wrapped). With `round_up` (`max_epochs`: ignite
/// runs while `epoch < max_epochs`) a fraction counts as the next whole number.
fn counter(name: &str, value: &Bound<'_, PyAny>, round_up: bool) -> PyResult<i64> {
    let err = match value.extract::<i64>() {
        Ok(n) => return Ok(n),
        Err(err) => err,
    };
    let out_of_range = || {
        PyValueError::new_err(format!(
            "state.{name} should be an integer in [-2**63, 2**63), got {value}"
        ))
    };
    if err.is_instance_of::<PyOverflowError>(value.py()) {
        return Err(out_of_range());
    }
    let Ok(real) = value.extract::<f64>() else {
        return Err(err);
    };
    let whole = if round_up { real.ceil() } else { real };
    if !whole.is_finite() || whole.fract() != 0.0 {
        return Err(PyValueError::new_err(format!(
            "state.{name} should be a whole number, got {value}"
        )));
    }
    // 2**63 is exactly representable; anything at or above it does not fit.
    if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&whole) {
        return Err(out_of_range());
    }
    Ok(whole as i64)
}

/// `counter` for an optional limit: `(count, the value as given when it is not an int)`.
fn optional_counter(
    name: &str,
    value: &Bound<'_, PyAny>,
    round_up: bool,
) -> PyResult<(Option<i64>, Option<Given>)> {
    if value.is_none() {
        return Ok((None, None));
    }
    let n = counter(name, value, round_up)?;
    let given =
        (!value.is_exact_instance_of::<pyo3::types::PyInt>()).then(|| (n, value.clone().unbind()));
    Ok((Some(n), given))
}

impl NativeState {
    /// A limit's value for Python: as assigned (see `given`) or the native count.
    fn limit(&self, py: Python<'_>, field: Option<i64>, slot: usize) -> Py<PyAny> {
        match (&self.given[slot], field) {
            (Some((n, value)), Some(m)) if *n == m => value.clone_ref(py),
            (_, Some(m)) => m
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
            (_, None) => py.None(),
        }
    }
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
            given: [None, None, None],
        })
    }

    #[setter]
    fn set_iteration(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.iteration = counter("iteration", value, false)?;
        Ok(())
    }

    #[setter]
    fn set_epoch(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.epoch = counter("epoch", value, false)?;
        Ok(())
    }

    #[getter]
    fn get_epoch_length(&self, py: Python<'_>) -> Py<PyAny> {
        self.limit(py, self.epoch_length, EPOCH_LENGTH)
    }

    #[setter]
    fn set_epoch_length(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        (self.epoch_length, self.given[EPOCH_LENGTH]) =
            optional_counter("epoch_length", value, false)?;
        Ok(())
    }

    #[getter]
    fn get_max_epochs(&self, py: Python<'_>) -> Py<PyAny> {
        self.limit(py, self.max_epochs, MAX_EPOCHS)
    }

    #[setter]
    fn set_max_epochs(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        (self.max_epochs, self.given[MAX_EPOCHS]) = optional_counter("max_epochs", value, true)?;
        Ok(())
    }

    #[getter]
    fn get_max_iters(&self, py: Python<'_>) -> Py<PyAny> {
        self.limit(py, self.max_iters, MAX_ITERS)
    }

    #[setter]
    fn set_max_iters(&mut self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        (self.max_iters, self.given[MAX_ITERS]) = optional_counter("max_iters", value, false)?;
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
        for (_, value) in self.given.iter().flatten() {
            visit.call(value)?;
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
        self.given = [None, None, None];
    }
}
