//! Native stand-ins for the built-in handlers that run on every iteration.
//!
//! A registered handler keeps its Python callable (it is what `_event_handlers`, removal and
//! `has_event_handler` see), but the facade may give it a `Native`: work the dispatch does
//! itself, without calling Python, with exactly the effect of the Python call.
//!
//! - `Gate`: the handler is called only when its gate is open. ProgressBar arms it after each
//!   call with tqdm's own redraw test (iteration count, clock), so between two redraws an
//!   iteration costs a few integer compares and one clock read instead of a Python call.
//! - `Timer`: `Timer.reset/pause/resume/step` on a `NativeTimer` (time.perf_counter's clock).
//! - `EmaUpdate` / `Publish`: RunningAverage's float path (its `iteration_completed` and
//!   `completed`); any other kind of value falls back to the Python method.
//! - `Finite`: TerminateOnNan on a finite number or 0-d tensor; anything else calls it.
//! - `StorePair`: EpochMetric's `iteration_completed` on its common batch
//!   (`metric_store::store_pair`); any other batch calls it.
//!
//! # The contract
//! A native is a copy of a Python path and must give the same result for every input that
//! path accepts (tests/engine/test_natives_differential.py runs both, and pytorch-ignite).
//! - **One registration.** The facade builds a typed [`NativeSpec`] (one constructor per kind,
//!   arguments checked there) and hands it to `EngineCore.set_native(event, handler, spec)`
//!   through `oxignite.engine.natives.set_native`; whether a subclass overrides the Python
//!   path is decided by `oxignite.engine.natives.overrides`, nowhere else.
//! - **One switch.** [`enabled`] is read before every native: off (`OXIGNITE_NATIVES=0`, or
//!   `oxignite.natives.set_enabled(False)`), every handler is called and every metric helper
//!   runs its Python reference (`oxignite/_reference.py`), so the Python path is always there.
//! - **Caches serve one firing.** A host read ([`read_item`]) is reused only within the
//!   firing it was made in, never across iterations.
//!
//! Adding a native: a variant of [`Native`] with its `run` arm, a `NativeSpec` constructor
//! (plus `traverse` / `clone_ref` arms), the Python path it copies left callable (an
//! `Outcome::Call` for every input it does not handle), a `set_native` call in the handler's
//! `attach`, and a case in the differential tests.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// Whether natives run (see the module docs). Process-wide by design: it selects the
/// reference implementation, it caches nothing.
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Whether the natives are on.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether the natives are on (`oxignite.natives.enabled`).
#[pyfunction]
pub fn natives_enabled() -> bool {
    enabled()
}

/// Turns every native on or off from the next firing or call (`oxignite.natives`).
#[pyfunction]
pub fn set_natives_enabled(flag: bool) {
    ENABLED.store(flag, Ordering::Relaxed);
}

/// The switch's initial position: `OXIGNITE_NATIVES` set to `0`, `false`, `off` or `no`
/// turns the natives off from import.
pub fn init_from_env() {
    if let Ok(value) = std::env::var("OXIGNITE_NATIVES") {
        let off = matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "off" | "no"
        );
        ENABLED.store(!off, Ordering::Relaxed);
    }
}

/// The Python reference of a native helper (`oxignite._reference.<name>`), for the switch's
/// off position.
pub fn reference<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(intern!(py, "oxignite._reference"))?.getattr(name)
}

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::clock::{perf_counter, wall_time};
use crate::core::{lock, EngineCore, FLAG_OFF};
use crate::metric_store::store_pair;
use crate::state::NativeState;

/// What the dispatch does with a handler that has a native stand-in.
pub enum Outcome {
    /// The native did the handler's work.
    Done,
    /// Not this time (a closed gate): as if the handler were filtered out.
    Skip,
    /// Call the Python handler as usual.
    Call,
}

pub enum Native {
    Gate(Py<Gate>),
    Timer(Py<NativeTimer>, TimerOp),
    EmaUpdate(Box<EmaUpdate>),
    Publish {
        owner: Py<PyDict>,
        name: Py<PyString>,
    },
    /// TerminateOnNan's check of a number or 0-d tensor output that is finite.
    Finite {
        tensor_type: Py<PyAny>,
    },
    /// EpochMetric's copy of a `(y_pred, y)` output; the metric is the argument.
    StorePair {
        metric: Py<PyAny>,
    },
}

#[derive(Clone, Copy)]
pub enum TimerOp {
    Reset,
    Pause,
    Resume,
    Step,
}

impl Native {
    fn clone_ref(&self, py: Python<'_>) -> Native {
        match self {
            Native::Gate(g) => Native::Gate(g.clone_ref(py)),
            Native::Timer(t, op) => Native::Timer(t.clone_ref(py), *op),
            Native::EmaUpdate(e) => Native::EmaUpdate(Box::new(EmaUpdate {
                owner: e.owner.clone_ref(py),
                fallback: e.fallback.clone_ref(py),
                tensor_type: e.tensor_type.clone_ref(py),
                float32: e.float32.clone_ref(py),
                float64: e.float64.clone_ref(py),
            })),
            Native::Publish { owner, name } => Native::Publish {
                owner: owner.clone_ref(py),
                name: name.clone_ref(py),
            },
            Native::Finite { tensor_type } => Native::Finite {
                tensor_type: tensor_type.clone_ref(py),
            },
            Native::StorePair { metric } => Native::StorePair {
                metric: metric.clone_ref(py),
            },
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Native::Gate(_) => "gate",
            Native::Timer(..) => "timer",
            Native::EmaUpdate(_) => "ema",
            Native::Publish { .. } => "publish",
            Native::Finite { .. } => "finite",
            Native::StorePair { .. } => "store_pair",
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self {
            Native::Gate(g) => visit.call(g),
            Native::Timer(t, _) => visit.call(t),
            Native::EmaUpdate(e) => {
                visit.call(&e.owner)?;
                for obj in [&e.fallback, &e.tensor_type, &e.float32, &e.float64] {
                    visit.call(obj)?;
                }
                Ok(())
            }
            Native::Publish { owner, name } => {
                visit.call(owner)?;
                visit.call(name)
            }
            Native::Finite { tensor_type } => visit.call(tensor_type),
            Native::StorePair { metric } => visit.call(metric),
        }
    }

    /// Runs the native for one firing. `count` is the event's counter (read lazily).
    pub fn run(
        &self,
        core: &EngineCore,
        state: &Bound<'_, NativeState>,
        count: impl FnOnce() -> PyResult<i128>,
    ) -> PyResult<Outcome> {
        let py = state.py();
        match self {
            Native::Gate(gate) => gate.get().decide(core, state, count),
            Native::Timer(timer, op) => {
                let timer = timer.get();
                match op {
                    TimerOp::Reset => timer.py_reset(),
                    TimerOp::Pause => timer.pause(),
                    TimerOp::Resume => timer.resume(),
                    TimerOp::Step => timer.step(),
                }
                Ok(Outcome::Done)
            }
            Native::EmaUpdate(ema) => ema.update(core, state),
            Native::Publish { owner, name } => {
                let value = owner.bind(py).get_item(intern!(py, "_value"))?;
                match value {
                    Some(v) if v.is_exact_instance_of::<PyFloat>() => {
                        let metrics = state.borrow().metrics.clone_ref(py);
                        metrics.bind(py).set_item(name.bind(py), v)?;
                        Ok(Outcome::Done)
                    }
                    _ => Ok(Outcome::Call),
                }
            }
            Native::Finite { tensor_type } => {
                let output = state.borrow().output.clone_ref(py).into_bound(py);
                Ok(if is_finite_scalar(core, &output, tensor_type.bind(py)) {
                    Outcome::Done
                } else {
                    Outcome::Call // anything else, or not finite: TerminateOnNan itself
                })
            }
            Native::StorePair { metric } => {
                let output = state.borrow().output.clone_ref(py).into_bound(py);
                Ok(if store_pair(metric.bind(py), &output)? {
                    Outcome::Done
                } else {
                    Outcome::Call
                })
            }
        }
    }
}

/// Below this a finite Python float is finite in every float dtype torch may use as its
/// default (float16's largest finite value); ignite checks a number as `torch.tensor(x)`, so a
/// larger one (1e300 is infinite in float32) goes to the Python handler, which checks it so.
const FINITE_IN_ANY_DTYPE: f64 = 65504.0;

/// A Python float finite in any dtype (see [`FINITE_IN_ANY_DTYPE`]), an int, or a 0-d
/// tensor whose value (`.item()`, the documented read) is finite.
fn is_finite_scalar(
    core: &EngineCore,
    value: &Bound<'_, PyAny>,
    tensor_type: &Bound<'_, PyAny>,
) -> bool {
    let py = value.py();
    let number = |v: &Bound<'_, PyAny>| match v.cast_exact::<PyFloat>() {
        Ok(f) => f.value().is_finite(),
        Err(_) => v.is_exact_instance_of::<PyInt>(),
    };
    let small_number = match value.cast_exact::<PyFloat>() {
        Ok(f) => f.value().abs() <= FINITE_IN_ANY_DTYPE, // false for NaN
        Err(_) => value.is_exact_instance_of::<PyInt>(),
    };
    if small_number {
        return true;
    }
    if value.is_exact_instance_of::<PyFloat>() {
        return false; // large or not finite: the Python handler decides as ignite does
    }
    if !value.is_instance(tensor_type).unwrap_or(false) {
        return false;
    }
    let zero_d = value
        .getattr(intern!(py, "ndim"))
        .and_then(|n| n.extract::<i64>())
        .is_ok_and(|n| n == 0);
    if !zero_d {
        return false;
    }
    // An error (a complex value, a meta tensor) goes to the Python call, which handles it.
    match read_item(core, value) {
        Ok(item) => number(&item) || item.is_exact_instance_of::<pyo3::types::PyBool>(),
        Err(_) => false,
    }
}

/// When a gated handler is called. Disarmed, on the last iteration of an epoch or of the
/// run, or while the engine is terminating the run or the epoch: at every firing. Armed, with `n` the event's count: when `n <= low` (a count
/// that went back: a new run), at `force_at` or later, at `min_count` or later once the
/// clock (`time.time`) reaches `deadline`, and once the clock reaches `stale_at` (looked at
/// every 64th count, so that most firings read no clock).
#[pyclass(module = "oxignite._core", frozen)]
pub struct Gate {
    armed: AtomicBool,
    low: AtomicI64,
    force_at: AtomicI64,
    min_count: AtomicI64,
    deadline: AtomicU64,
    stale_at: AtomicU64,
    /// `(bar, base)`: at each skipped firing, `bar.n = count - base`, which is all that the
    /// skipped call would have done to the bar (tqdm's `update` without a redraw).
    bar: Mutex<Option<(Py<PyAny>, i64)>>,
}

impl Gate {
    fn decide(
        &self,
        core: &EngineCore,
        state: &Bound<'_, NativeState>,
        count: impl FnOnce() -> PyResult<i128>,
    ) -> PyResult<Outcome> {
        if !self.armed.load(Ordering::Relaxed)
            || core.should_terminate.load(Ordering::Relaxed) != FLAG_OFF
            || core.should_terminate_single_epoch.load(Ordering::Relaxed) != FLAG_OFF
        {
            return Ok(Outcome::Call);
        }
        {
            // The epoch's or the run's last iteration
            let s = state.borrow();
            let epoch_iter = core.epoch_iter.load(Ordering::Relaxed);
            if s.epoch_length.is_some_and(|len| epoch_iter >= len)
                || s.max_iters.is_some_and(|max| s.iteration >= max)
            {
                return Ok(Outcome::Call);
            }
        }
        let n = count()?;
        let load = |a: &AtomicI64| a.load(Ordering::Relaxed) as i128;
        let time = |a: &AtomicU64| f64::from_bits(a.load(Ordering::Relaxed));
        if n <= load(&self.low) || n >= load(&self.force_at) {
            return Ok(Outcome::Call);
        }
        if n >= load(&self.min_count) && wall_time() >= time(&self.deadline) {
            return Ok(Outcome::Call);
        }
        if n % 64 == 0 && wall_time() >= time(&self.stale_at) {
            return Ok(Outcome::Call);
        }
        let py = state.py();
        let bar = lock(&self.bar)
            .as_ref()
            .map(|(bar, base)| (bar.clone_ref(py), *base));
        if let Some((bar, base)) = bar {
            bar.bind(py).setattr(intern!(py, "n"), n - base as i128)?;
        }
        Ok(Outcome::Skip)
    }
}

#[pymethods]
impl Gate {
    #[new]
    fn new() -> Self {
        Gate {
            armed: AtomicBool::new(false),
            low: AtomicI64::new(0),
            force_at: AtomicI64::new(0),
            min_count: AtomicI64::new(0),
            deadline: AtomicU64::new(0f64.to_bits()),
            stale_at: AtomicU64::new(0f64.to_bits()),
            bar: Mutex::new(None),
        }
    }

    /// Skip firings whose count is above `low` and below `force_at`, until the count
    /// reaches `min_count` at a time (seconds of `time.time`) at or after `deadline`, or the
    /// time reaches `stale_at`.
    /// With `bar`, each skipped firing sets `bar.n = count - base`.
    #[pyo3(signature = (low, force_at, min_count, deadline, stale_at, bar=None, base=0))]
    #[allow(clippy::too_many_arguments)]
    fn arm(
        &self,
        low: i64,
        force_at: i64,
        min_count: i64,
        deadline: f64,
        stale_at: f64,
        bar: Option<Py<PyAny>>,
        base: i64,
    ) {
        let old = std::mem::replace(&mut *lock(&self.bar), bar.map(|b| (b, base)));
        drop(old); // outside the lock: dropping may run Python code
        self.low.store(low, Ordering::Relaxed);
        self.force_at.store(force_at, Ordering::Relaxed);
        self.min_count.store(min_count, Ordering::Relaxed);
        self.deadline.store(deadline.to_bits(), Ordering::Relaxed);
        self.stale_at.store(stale_at.to_bits(), Ordering::Relaxed);
        self.armed.store(true, Ordering::Relaxed);
    }

    /// Call the handler at every firing again.
    fn disarm(&self) {
        self.armed.store(false, Ordering::Relaxed);
        let bar = lock(&self.bar).take();
        drop(bar); // outside the lock: dropping may run Python code
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Ok(slot) = self.bar.try_lock() {
            if let Some((bar, _)) = slot.as_ref() {
                visit.call(bar)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        self.disarm();
    }

    #[getter]
    fn armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }
}

#[derive(Clone, Copy)]
struct TimerState {
    t0: f64,
    total: f64,
    step_count: f64,
    running: bool,
}

impl TimerState {
    /// Zero time and steps, running from now.
    fn started() -> Self {
        TimerState {
            t0: perf_counter(),
            total: 0.0,
            step_count: 0.0,
            running: true,
        }
    }
}

/// The state of `oxignite.handlers.Timer`, on `time.perf_counter`'s clock.
#[pyclass(module = "oxignite._core", frozen)]
pub struct NativeTimer {
    inner: Mutex<TimerState>,
}

impl NativeTimer {
    fn with<R>(&self, f: impl FnOnce(&mut TimerState) -> R) -> R {
        f(&mut lock(&self.inner))
    }
}

#[pymethods]
impl NativeTimer {
    #[new]
    fn new() -> Self {
        NativeTimer {
            inner: Mutex::new(TimerState::started()),
        }
    }

    /// Restart from zero, running.
    #[pyo3(name = "reset")]
    fn py_reset(&self) {
        self.with(|s| *s = TimerState::started());
    }

    fn pause(&self) {
        self.with(|s| {
            if s.running {
                s.total += perf_counter() - s.t0;
                s.running = false;
            }
        });
    }

    fn resume(&self) {
        self.with(|s| {
            if !s.running {
                s.running = true;
                s.t0 = perf_counter();
            }
        });
    }

    fn step(&self) {
        self.with(|s| s.step_count += 1.0);
    }

    /// Seconds measured (divided by the step count, at least 1, if `average`).
    fn value(&self, average: bool) -> f64 {
        self.with(|s| {
            let mut total = s.total;
            if s.running {
                total += perf_counter() - s.t0;
            }
            let denominator = if average { s.step_count.max(1.0) } else { 1.0 };
            total / denominator
        })
    }

    #[getter]
    fn get_t0(&self) -> f64 {
        self.with(|s| s.t0)
    }
    #[setter]
    fn set_t0(&self, value: f64) {
        self.with(|s| s.t0 = value);
    }
    #[getter]
    fn get_total(&self) -> f64 {
        self.with(|s| s.total)
    }
    #[setter]
    fn set_total(&self, value: f64) {
        self.with(|s| s.total = value);
    }
    #[getter]
    fn get_step_count(&self) -> f64 {
        self.with(|s| s.step_count)
    }
    #[setter]
    fn set_step_count(&self, value: f64) {
        self.with(|s| s.step_count = value);
    }
    #[getter]
    fn get_running(&self) -> bool {
        self.with(|s| s.running)
    }
    #[setter]
    fn set_running(&self, value: bool) {
        self.with(|s| s.running = value);
    }
}

/// RunningAverage's float path, on its instance `__dict__` (`_fast`, `_value`,
/// `_value_dtype`), exactly as `RunningAverage._update_transformed` does it in Python.
/// `_fast` is `None` (no float path: call the Python method) or
/// `(output_transform, alpha, float32(alpha), float32(1 - alpha))`.
pub struct EmaUpdate {
    owner: Py<PyDict>,
    /// `RunningAverage._update_transformed(value)`: every case but the float path.
    fallback: Py<PyAny>,
    tensor_type: Py<PyAny>,
    float32: Py<PyAny>,
    float64: Py<PyAny>,
}

impl EmaUpdate {
    fn update(&self, core: &EngineCore, state: &Bound<'_, NativeState>) -> PyResult<Outcome> {
        let py = state.py();
        let owner = self.owner.bind(py);
        let fast = match owner.get_item(intern!(py, "_fast"))? {
            Some(fast) if !fast.is_none() => fast,
            _ => return Ok(Outcome::Call),
        };
        let fast = fast.cast_into::<PyTuple>()?;
        let (transform, alpha, alpha32, beta32): (Bound<'_, PyAny>, f64, f64, f64) =
            fast.extract()?;
        let output = state.borrow().output.clone_ref(py);
        let y = transform.call1((output,))?;
        let fallback = |y: &Bound<'_, PyAny>| -> PyResult<Outcome> {
            self.fallback.bind(py).call1((y,))?;
            Ok(Outcome::Done)
        };
        // The value as a float, and its dtype (None for a Python float).
        let (x, dtype) = if let Ok(f) = y.cast_exact::<PyFloat>() {
            (f.value(), py.None().into_bound(py))
        } else if y.is_instance(self.tensor_type.bind(py))? {
            if y.getattr(intern!(py, "ndim"))?.extract::<i64>().ok() != Some(0) {
                return fallback(&y);
            }
            let dtype = y.getattr(intern!(py, "dtype"))?;
            if !(dtype.is(self.float32.bind(py)) || dtype.is(self.float64.bind(py))) {
                return fallback(&y);
            }
            // The documented per-iteration read of the value.
            let item = read_item(core, &y)?;
            match item.cast_exact::<PyFloat>() {
                Ok(f) => (f.value(), dtype),
                Err(_) => return fallback(&y),
            }
        } else {
            return fallback(&y);
        };
        let value = owner.get_item(intern!(py, "_value"))?;
        let value_dtype = owner.get_item(intern!(py, "_value_dtype"))?;
        let new = match (value, value_dtype) {
            (Some(v), Some(_)) if v.is_none() => {
                owner.set_item(intern!(py, "_value_dtype"), dtype)?;
                x
            }
            (Some(v), Some(vd)) if v.is_exact_instance_of::<PyFloat>() && vd.is(&dtype) => {
                let v = v.cast_exact::<PyFloat>()?.value();
                if dtype.is(self.float32.bind(py)) {
                    // torch: float32(v * float32(alpha)) + float32(float32(1 - alpha) * x)
                    let kept = (v * alpha32) as f32;
                    let added = (beta32 * x) as f32;
                    (kept as f64 + added as f64) as f32 as f64
                } else {
                    v * alpha + (1.0 - alpha) * x
                }
            }
            _ => return fallback(&y),
        };
        owner.set_item(intern!(py, "_value"), PyFloat::new(py, new))?;
        Ok(Outcome::Done)
    }
}

/// A typed description of a native, built by one constructor per kind (which checks its
/// arguments) and given to `EngineCore.set_native`. See the module docs for the contract.
#[pyclass(module = "oxignite._core", frozen)]
pub struct NativeSpec {
    native: Native,
}

impl NativeSpec {
    /// The native this spec describes, for one handler.
    pub fn build(&self, py: Python<'_>) -> Native {
        self.native.clone_ref(py)
    }
}

#[pymethods]
impl NativeSpec {
    /// ProgressBar: call the handler only when `gate` is open.
    #[staticmethod]
    fn gate(gate: Py<Gate>) -> Self {
        NativeSpec {
            native: Native::Gate(gate),
        }
    }

    /// Timer: `op` (`"reset"`, `"pause"`, `"resume"` or `"step"`) on `timer`.
    #[staticmethod]
    fn timer(timer: Py<NativeTimer>, op: &str) -> PyResult<Self> {
        let op = match op {
            "reset" => TimerOp::Reset,
            "pause" => TimerOp::Pause,
            "resume" => TimerOp::Resume,
            "step" => TimerOp::Step,
            other => {
                return Err(PyValueError::new_err(format!(
                    "op should be 'reset', 'pause', 'resume' or 'step', got {other:?}"
                )))
            }
        };
        Ok(NativeSpec {
            native: Native::Timer(timer, op),
        })
    }

    /// RunningAverage's `iteration_completed` on its instance dict `owner`; `fallback` is
    /// its `_update_transformed`.
    #[staticmethod]
    fn ema(
        owner: Py<PyDict>,
        fallback: Py<PyAny>,
        tensor_type: Py<PyAny>,
        float32: Py<PyAny>,
        float64: Py<PyAny>,
    ) -> Self {
        NativeSpec {
            native: Native::EmaUpdate(Box::new(EmaUpdate {
                owner,
                fallback,
                tensor_type,
                float32,
                float64,
            })),
        }
    }

    /// RunningAverage's `completed`: `state.metrics[name] = owner["_value"]` for a float.
    #[staticmethod]
    fn publish(owner: Py<PyDict>, name: Py<PyString>) -> Self {
        NativeSpec {
            native: Native::Publish { owner, name },
        }
    }

    /// TerminateOnNan: a finite number or 0-d tensor output passes without a call.
    #[staticmethod]
    fn finite(tensor_type: Py<PyAny>) -> Self {
        NativeSpec {
            native: Native::Finite { tensor_type },
        }
    }

    /// EpochMetric's `iteration_completed` on its common batch.
    #[staticmethod]
    fn store_pair(metric: Py<PyAny>) -> Self {
        NativeSpec {
            native: Native::StorePair { metric },
        }
    }

    /// The kind's name (`"gate"`, `"timer"`, ...).
    #[getter]
    fn kind(&self) -> &'static str {
        self.native.kind()
    }

    fn __repr__(&self) -> String {
        format!("NativeSpec.{}(...)", self.native.kind())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.native.traverse(&visit)
    }
}

/// A 0-d tensor's value as read on the host, with the tensor's version counter then.
pub struct HostRead {
    tensor: Py<PyAny>,
    version: i64,
    /// The firing it was made in (`EngineCore::firing`): it serves that firing only. Across
    /// iterations a tensor can change without a version bump (`.data`, NumPy views,
    /// extension kernels), so an older read may be stale.
    firing: u64,
    item: Py<PyAny>,
}

impl HostRead {
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.tensor)?;
        visit.call(&self.item)
    }
}

/// `tensor.item()`, or the value a native read from the same tensor at the same version
/// during this same firing: one host read (one device sync) per loss and iteration, however
/// many natives need it.
fn read_item<'py>(core: &EngineCore, tensor: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = tensor.py();
    let version: i64 = tensor.getattr(intern!(py, "_version"))?.extract()?;
    let firing = core.firing.load(Ordering::Relaxed);
    let cached = lock(&core.host_read)
        .as_ref()
        .filter(|read| read.firing == firing && read.tensor.is(tensor) && read.version == version)
        .map(|read| read.item.clone_ref(py));
    if let Some(item) = cached {
        return Ok(item.into_bound(py));
    }
    let item = tensor.call_method0(intern!(py, "item"))?;
    let read = HostRead {
        tensor: tensor.clone().unbind(),
        version,
        firing,
        item: item.clone().unbind(),
    };
    let old = lock(&core.host_read).replace(read);
    drop(old); // outside the lock: dropping may run Python code
    Ok(item)
}
