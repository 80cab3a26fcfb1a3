//! The run loop: ignite's `Engine._internal_run_as_gen` as a resumable state machine.
//!
//! Each `Phase` is one step of ignite's loop. After every event the control flags are
//! checked (ignite's `_maybe_terminate_or_interrupt`); an interrupt saves the current phase
//! in a `Frame` and returns, and the next `run()` continues from exactly that point.
//!
//! Per iteration, with no handlers, the loop makes two Python calls: `next()` on the data
//! iterator and the process function. Events without handlers cost a counter check.

use std::ffi::CString;
use std::sync::atomic::Ordering;
use std::time::Instant;

use pyo3::exceptions::{PyException, PyRuntimeError, PyUserWarning};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator};
use pyo3::{PyTraverseError, PyVisit};

use crate::core::{lock, EngineCore, FLAG_OFF, FLAG_ON, FLAG_SKIP};
use crate::dispatch::{
    dispatch, dispatch_timed, quiet_window, Counter, EventArgs, Handler, Timing,
};
use crate::events::*;
use crate::state::{NativeState, COMPLETED_TIME, EPOCH_COMPLETED_TIME};
use crate::table::Snapshot;
use crate::timing::{now_ns, Span, KIND_FETCH, KIND_PROCESS};

/// Where the data comes from: a Python iterator, or `epoch_length` Nones when the engine
/// runs without data.
pub enum DataIter {
    Py(Py<PyIterator>),
    Nones { remaining: i64 },
}

impl DataIter {
    pub fn from_iterable(iterable: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(DataIter::Py(iterable.try_iter()?.unbind()))
    }

    #[inline]
    fn next<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self {
            DataIter::Py(iter) => iter.bind(py).clone().next().transpose(),
            DataIter::Nones { remaining } if *remaining > 0 => {
                *remaining -= 1;
                Ok(Some(py.None().into_bound(py)))
            }
            DataIter::Nones { .. } => Ok(None),
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self {
            DataIter::Py(iter) => visit.call(iter),
            DataIter::Nones { .. } => Ok(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Start,
    EpochLoop,
    EpochSetup,
    BatchTop,
    Fetch,
    CountBatch,
    Process,
    AfterIteration,
    Restart,
    EpochTerminating,
    EpochEnd,
    /// After EPOCH_COMPLETED and its terminate/interrupt check: ignite logs the epoch here
    /// (after a resume, when the run was interrupted at the end of the epoch).
    EpochDone,
    Terminating,
    Finish,
}

impl Phase {
    /// Steps inside ignite's `_run_once_on_dataset`, where an `Exception` handled by
    /// EXCEPTION_RAISED handlers ends the epoch instead of the run.
    fn is_inner(self) -> bool {
        matches!(
            self,
            Phase::BatchTop
                | Phase::Fetch
                | Phase::CountBatch
                | Phase::Process
                | Phase::AfterIteration
                | Phase::Restart
        )
    }
}

/// The loop's local variables, saved while a run is suspended by `interrupt()`.
pub struct Frame {
    phase: Phase,
    iter_counter: i64,
    should_exit: bool,
    /// Between `epoch += 1` and the end of the epoch's iterations.
    in_epoch: bool,
    /// Between `iteration += 1` and the process function's return.
    iteration_pending: bool,
    run_seconds: f64,
    epoch_seconds: f64,
}

impl Frame {
    fn new() -> Self {
        Frame {
            phase: Phase::Start,
            iter_counter: 0,
            should_exit: false,
            in_epoch: false,
            iteration_pending: false,
            run_seconds: 0.0,
            epoch_seconds: 0.0,
        }
    }
}

/// Where a run that raised stopped, so that the next `run()` retries the unfinished
/// iteration in the same epoch instead of starting the next epoch.
pub struct ResumePoint {
    epoch: i64,
    iteration_seen: i64,
    iteration_resume: i64,
}

enum Exit {
    Finished,
    Suspended,
}

enum Control {
    Go,
    Suspend,
    Terminate,
    TerminateEpoch,
}

/// Python overrides of ignite's private methods, honoured by the loop (see `EngineCore.run`).
#[derive(Default)]
pub struct Hooks<'py> {
    pub fire: Option<(Bound<'py, PyAny>, Bound<'py, pyo3::types::PyList>)>,
    pub setup: Option<Bound<'py, PyAny>>,
    /// Called once per completed epoch (ignite's "Epoch[n] Complete" log line); None when
    /// the logger is not enabled for INFO.
    pub epoch_done: Option<Bound<'py, PyAny>>,
    /// The engine logger's `error` (ignite logs an exception that ends an epoch or the
    /// run); None when the logger is not enabled for ERROR.
    pub log_error: Option<Bound<'py, PyAny>>,
}

struct RunLoop<'a, 'py> {
    core: &'a EngineCore,
    hooks: Hooks<'py>,
    engine: &'a Bound<'py, PyAny>,
    state: &'a Bound<'py, NativeState>,
    process: &'a Bound<'py, PyAny>,
    frame: Frame,
    data: Option<DataIter>,
    data_generation: u64,
    handlers: Vec<Snapshot<Handler>>,
    counters: Vec<Counter>,
    /// Per event, a range of counter values at which no handler fires (see `quiet_window`).
    quiet: Vec<Option<(i64, i64)>>,
    /// Per event, whether any handler has a filter (else the counter need not be read).
    filtered: Vec<bool>,
    handlers_generation: u64,
    run_mark: Instant,
    epoch_mark: Instant,
}

pub fn run<'py>(
    core: &EngineCore,
    engine: &Bound<'py, PyAny>,
    state: &Bound<'py, NativeState>,
    process: &Bound<'py, PyAny>,
    hooks: Hooks<'py>,
) -> PyResult<()> {
    let py = engine.py();
    let (frame, data, resume) = {
        let mut slot = lock(&core.run_slot);
        (slot.frame.take(), slot.data.take(), slot.resume.take())
    };
    let frame = match frame {
        Some(frame) => frame,
        None => {
            core.should_terminate.store(FLAG_OFF, Ordering::Relaxed);
            core.should_terminate_single_epoch
                .store(FLAG_OFF, Ordering::Relaxed);
            core.should_interrupt.store(false, Ordering::Relaxed);
            {
                let mut s = state.borrow_mut();
                if let Some(rp) = resume {
                    if s.epoch == rp.epoch && s.iteration == rp.iteration_seen && s.epoch > 0 {
                        s.epoch -= 1;
                        s.iteration = rp.iteration_resume;
                    }
                }
            }
            let times = state.borrow().times.clone_ref(py);
            times.bind(py).set_item(EPOCH_COMPLETED_TIME, 0.0)?;
            times.bind(py).set_item(COMPLETED_TIME, 0.0)?;
            Frame::new()
        }
    };
    let now = Instant::now();
    let mut rl = RunLoop {
        core,
        hooks,
        engine,
        state,
        process,
        frame,
        data,
        data_generation: core.data_generation.load(Ordering::Acquire),
        handlers: Vec::new(),
        counters: Vec::new(),
        quiet: Vec::new(),
        filtered: Vec::new(),
        handlers_generation: u64::MAX,
        run_mark: now,
        epoch_mark: now,
    };
    let result = rl.drive();
    let data = rl.data.take();
    match result {
        Ok(Exit::Suspended) => {
            let mut frame = rl.frame;
            frame.run_seconds += rl.run_mark.elapsed().as_secs_f64();
            frame.epoch_seconds += rl.epoch_mark.elapsed().as_secs_f64();
            let mut slot = lock(&core.run_slot);
            slot.frame = Some(frame);
            // A set_data() from an INTERRUPT handler already put its iterator in the slot.
            if slot.data.is_none() {
                slot.data = data;
            }
            Ok(())
        }
        Ok(Exit::Finished) => {
            // Like ignite, a finished run forgets its iterator, including one given to
            // set_data() by a handler after the loop last looked.
            let (replaced, current) = {
                let mut slot = lock(&core.run_slot);
                (slot.data.take(), slot.current.take())
            };
            drop((data, replaced, current));
            Ok(())
        }
        Err(err) => {
            let (replaced, current) = {
                let mut slot = lock(&core.run_slot);
                (slot.data.take(), slot.current.take())
            };
            drop((data, replaced, current));
            if rl.frame.in_epoch {
                let s = state.borrow();
                let pending = i64::from(rl.frame.iteration_pending);
                lock(&core.run_slot).resume = Some(ResumePoint {
                    epoch: s.epoch,
                    iteration_seen: s.iteration,
                    iteration_resume: s.iteration - pending,
                });
            }
            Err(err)
        }
    }
}

#[cold]
fn no_data_iterator() -> PyErr {
    PyRuntimeError::new_err("internal error: the engine has no data iterator")
}

/// `counter += 1`, refusing to wrap past 2**63 - 1 (a counter set that high by hand).
#[inline]
fn bump(name: &str, counter: &mut i64) -> PyResult<()> {
    match counter.checked_add(1) {
        Some(next) => {
            *counter = next;
            Ok(())
        }
        None => Err(counter_overflow(name)),
    }
}

#[cold]
#[inline(never)]
fn counter_overflow(name: &str) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(format!("state.{name} cannot go beyond 2**63 - 1"))
}

impl<'py> RunLoop<'_, 'py> {
    fn py(&self) -> Python<'py> {
        self.engine.py()
    }

    fn drive(&mut self) -> PyResult<Exit> {
        loop {
            let phase = self.frame.phase;
            let err = match self.step(phase) {
                Ok(None) => continue,
                Ok(Some(exit)) => return Ok(exit),
                Err(err) => err,
            };
            // ignite: an Exception inside the pass over the data, given to EXCEPTION_RAISED
            // handlers, ends the epoch; anything else ends the run. An exception raised by
            // those handlers themselves propagates as is.
            let inner = phase.is_inner() && err.is_instance_of::<PyException>(self.py());
            if inner {
                self.log_error("Current run is terminating due to exception: ", &err)?;
            }
            let handled = self.has_handlers(EXCEPTION_RAISED);
            if handled && inner {
                self.fire_exception(err)?;
                self.frame.phase = Phase::EpochEnd;
                continue;
            }
            self.data = None;
            self.log_error("Engine run is terminating due to exception: ", &err)?;
            if handled {
                self.frame.in_epoch = false;
                self.fire_exception(err)?;
                return Ok(Exit::Finished);
            }
            return Err(err);
        }
    }

    /// ignite's `logger.error(f"{prefix}{e}")` for an exception that ends the epoch or run.
    #[cold]
    #[inline(never)]
    fn log_error(&self, prefix: &str, err: &PyErr) -> PyResult<()> {
        if let Some(log) = &self.hooks.log_error {
            let text = err.value(self.py()).str()?;
            log.call1((format!("{prefix}{text}"),))?;
        }
        Ok(())
    }

    fn step(&mut self, phase: Phase) -> PyResult<Option<Exit>> {
        let py = self.py();
        match phase {
            Phase::Start => {
                self.fire(STARTED)?;
                self.after_fire(Phase::EpochLoop, false)
            }
            Phase::EpochLoop => {
                let stop = self.state.borrow().is_done()
                    || self.core.should_terminate.load(Ordering::Relaxed) != FLAG_OFF;
                if stop {
                    return self.goto(Phase::Finish);
                }
                bump("epoch", &mut self.state.borrow_mut().epoch)?;
                self.frame.in_epoch = true;
                self.frame.epoch_seconds = 0.0;
                self.epoch_mark = Instant::now();
                self.fire(EPOCH_STARTED)?;
                self.after_fire(Phase::EpochSetup, false)
            }
            Phase::EpochSetup => {
                self.sync_data();
                if self.data.is_none() {
                    if self.hooks.setup.is_some() {
                        self.setup_through_hook()?;
                    } else {
                        self.setup_engine()?;
                    }
                }
                self.frame.iter_counter = lock(&self.core.run_slot).init_iter.take().unwrap_or(0);
                self.frame.should_exit = false;
                self.goto(Phase::BatchTop)
            }
            Phase::BatchTop => {
                let has_loader = {
                    let mut s = self.state.borrow_mut();
                    s.batch = py.None();
                    !s.dataloader.is_none(py)
                };
                let after_stop = self.core.last_event.load(Ordering::Relaxed)
                    == DATALOADER_STOP_ITERATION as u32;
                if has_loader && !after_stop {
                    self.fire(GET_BATCH_STARTED)?;
                    return self.after_fire(Phase::Fetch, true);
                }
                self.goto(Phase::Fetch)
            }
            Phase::Fetch => self.fetch(),
            Phase::CountBatch => {
                self.frame.iter_counter += 1;
                self.core
                    .epoch_iter
                    .store(self.frame.iter_counter, Ordering::Relaxed);
                self.frame.should_exit = false;
                bump("iteration", &mut self.state.borrow_mut().iteration)?;
                self.frame.iteration_pending = true;
                self.fire(ITERATION_STARTED)?;
                self.after_fire(Phase::Process, true)
            }
            Phase::Process => {
                let batch = self.state.borrow().batch.clone_ref(py);
                let output = if self.core.profiling.load(Ordering::Relaxed) {
                    self.process_timed(batch)?
                } else {
                    self.process.call1((self.engine, batch))?
                };
                self.state.borrow_mut().output = output.unbind();
                self.frame.iteration_pending = false;
                self.fire(ITERATION_COMPLETED)?;
                self.after_fire(Phase::AfterIteration, true)
            }
            Phase::AfterIteration => {
                let (epoch_done, iters_done) = {
                    let s = self.state.borrow();
                    (
                        s.epoch_length == Some(self.frame.iter_counter),
                        s.max_iters == Some(s.iteration),
                    )
                };
                if epoch_done {
                    return self.goto(Phase::EpochEnd);
                }
                if iters_done {
                    self.core.should_terminate.store(FLAG_ON, Ordering::Relaxed);
                    return self.goto(Phase::Terminating);
                }
                self.goto(Phase::BatchTop)
            }
            Phase::Restart => {
                self.setup_data_iter()?;
                self.frame.should_exit = true;
                self.goto(Phase::BatchTop)
            }
            Phase::EpochTerminating => {
                let kwargs = PyDict::new(py);
                kwargs.set_item("iter_counter", self.frame.iter_counter)?;
                self.fire_with(
                    TERMINATE_SINGLE_EPOCH,
                    EventArgs {
                        positional: &[],
                        keywords: Some(&kwargs),
                    },
                )?;
                self.setup_data_iter()?;
                self.goto(Phase::EpochEnd)
            }
            Phase::EpochEnd => {
                self.frame.in_epoch = false;
                self.frame.iteration_pending = false;
                self.set_time(EPOCH_COMPLETED_TIME, self.epoch_seconds())?;
                let single = self
                    .core
                    .should_terminate_single_epoch
                    .load(Ordering::Relaxed);
                if single != FLAG_SKIP {
                    self.fire(EPOCH_COMPLETED)?;
                    self.set_time(EPOCH_COMPLETED_TIME, self.epoch_seconds())?;
                }
                // Also clears a terminate_epoch() called by an EPOCH_COMPLETED handler.
                self.core
                    .should_terminate_single_epoch
                    .store(FLAG_OFF, Ordering::Relaxed);
                self.after_fire(Phase::EpochDone, false)
            }
            Phase::EpochDone => {
                if let Some(hook) = &self.hooks.epoch_done {
                    hook.call0()?;
                }
                self.goto(Phase::EpochLoop)
            }
            Phase::Terminating => {
                self.fire(TERMINATE)?;
                self.goto(Phase::Finish)
            }
            Phase::Finish => {
                self.data = None;
                self.set_time(COMPLETED_TIME, self.run_seconds())?;
                if self.core.should_terminate.load(Ordering::Relaxed) != FLAG_SKIP {
                    self.fire(COMPLETED)?;
                    self.set_time(COMPLETED_TIME, self.run_seconds())?;
                }
                Ok(Some(Exit::Finished))
            }
        }
    }

    fn fetch(&mut self) -> PyResult<Option<Exit>> {
        let py = self.py();
        self.sync_data();
        let item = if self.core.profiling.load(Ordering::Relaxed) {
            self.fetch_timed()?
        } else {
            match self.data.as_mut() {
                Some(data) => data.next(py)?,
                None => return Err(no_data_iterator()),
            }
        };
        let has_loader = !self.state.borrow().dataloader.is_none(py);
        if let Some(batch) = item {
            {
                let mut s = self.state.borrow_mut();
                s.batch = batch.unbind();
                s.output = py.None();
            }
            if has_loader {
                self.fire(GET_BATCH_COMPLETED)?;
                return self.after_fire(Phase::CountBatch, true);
            }
            return self.goto(Phase::CountBatch);
        }
        // The iterator is exhausted.
        {
            let mut s = self.state.borrow_mut();
            if s.epoch_length.is_none() {
                // First pass over data of unknown length: now we know it.
                let len = self.frame.iter_counter;
                s.epoch_length = Some(len);
                if let Some(max_iters) = s.max_iters {
                    if len > 0 {
                        s.max_epochs = Some(max_iters / len + i64::from(max_iters % len != 0));
                    }
                }
                drop(s);
                return self.goto(Phase::EpochEnd);
            }
        }
        if self.frame.should_exit {
            self.warn_data_exhausted()?;
            return self.goto(Phase::EpochEnd);
        }
        if has_loader {
            self.fire(DATALOADER_STOP_ITERATION)?;
            return self.after_fire(Phase::Restart, true);
        }
        self.goto(Phase::Restart)
    }

    fn warn_data_exhausted(&self) -> PyResult<()> {
        let py = self.py();
        let message = {
            let s = self.state.borrow();
            if s.is_done() {
                return Ok(());
            }
            let total = match (s.epoch_length, s.max_epochs) {
                (Some(len), Some(max)) => len.checked_mul(max),
                _ => s.max_iters,
            };
            format!(
                "Data iterator can not provide data anymore but required total number of \
                 iterations to run is not reached. Current iteration: {} vs Total iterations \
                 to run : {}",
                s.iteration,
                total.map_or("None".to_string(), |t| t.to_string())
            )
        };
        let message = CString::new(message).expect("message has no NUL byte");
        PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)
    }

    fn goto(&mut self, phase: Phase) -> PyResult<Option<Exit>> {
        self.frame.phase = phase;
        Ok(None)
    }

    /// ignite's `_maybe_terminate_or_interrupt`, after each event.
    fn after_fire(&mut self, next: Phase, inner: bool) -> PyResult<Option<Exit>> {
        self.frame.phase = next;
        match self.control()? {
            Control::Go => Ok(None),
            Control::Suspend => Ok(Some(Exit::Suspended)),
            Control::Terminate => self.goto(Phase::Terminating),
            Control::TerminateEpoch if inner => self.goto(Phase::EpochTerminating),
            Control::TerminateEpoch => Err(PyRuntimeError::new_err(
                "The method terminate_epoch() should not be called on Event.STARTED or \
                 Event.EPOCH_STARTED.",
            )),
        }
    }

    fn control(&mut self) -> PyResult<Control> {
        if self.core.should_terminate.load(Ordering::Relaxed) != FLAG_OFF {
            return Ok(Control::Terminate);
        }
        if self
            .core
            .should_terminate_single_epoch
            .load(Ordering::Relaxed)
            != FLAG_OFF
        {
            return Ok(Control::TerminateEpoch);
        }
        if self.core.should_interrupt.load(Ordering::Relaxed) {
            self.fire(INTERRUPT)?;
            self.core.should_interrupt.store(false, Ordering::Relaxed);
            return Ok(Control::Suspend);
        }
        Ok(Control::Go)
    }

    /// An overridden `_setup_engine()` sets the iterator (and maybe `_init_iter`).
    #[cold]
    #[inline(never)]
    fn setup_through_hook(&mut self) -> PyResult<()> {
        if let Some(hook) = self.hooks.setup.clone() {
            hook.call0()?;
        }
        self.sync_data();
        if self.data.is_none() {
            return Err(PyRuntimeError::new_err(
                "Internal error, self._dataloader_iter is None. _setup_engine() must set it",
            ));
        }
        Ok(())
    }

    /// ignite's `_setup_engine`: a fresh iterator, and the position inside the epoch.
    fn setup_engine(&mut self) -> PyResult<()> {
        self.setup_data_iter()?;
        let position = {
            let s = self.state.borrow();
            match s.epoch_length {
                Some(len) if len > 0 => s.iteration.rem_euclid(len),
                _ => s.iteration,
            }
        };
        let mut slot = lock(&self.core.run_slot);
        if slot.init_iter.is_none() {
            slot.init_iter = Some(position);
        }
        Ok(())
    }

    /// ignite's `_setup_dataloader_iter`.
    fn setup_data_iter(&mut self) -> PyResult<()> {
        let py = self.py();
        self.data = None;
        let (dataloader, epoch_length, epoch) = {
            let s = self.state.borrow();
            (s.dataloader.clone_ref(py), s.epoch_length, s.epoch)
        };
        let fresh = if dataloader.is_none(py) {
            let remaining = epoch_length.ok_or_else(|| {
                PyRuntimeError::new_err("internal error: epoch_length is None without data")
            })?;
            DataIter::Nones { remaining }
        } else {
            let hook = lock(&self.core.run_slot)
                .epoch_hook
                .as_ref()
                .map(|h| h.clone_ref(py));
            if let Some(hook) = hook {
                hook.call1(py, (epoch - 1,))?;
            }
            DataIter::from_iterable(dataloader.bind(py))?
        };
        // This iterator supersedes any replacement made earlier through set_data.
        let current = match &fresh {
            DataIter::Py(it) => Some(it.clone_ref(py).into_any()),
            DataIter::Nones { .. } => None,
        };
        let (stale, old) = {
            let mut slot = lock(&self.core.run_slot);
            (
                slot.data.take(),
                std::mem::replace(&mut slot.current, current),
            )
        };
        drop((stale, old));
        self.data_generation = self.core.data_generation.load(Ordering::Acquire);
        self.data = Some(fresh);
        Ok(())
    }

    /// Adopts an iterator given to `set_data` during the run.
    #[inline]
    fn sync_data(&mut self) {
        let generation = self.core.data_generation.load(Ordering::Acquire);
        if generation != self.data_generation {
            self.sync_data_slow(generation);
        }
    }

    #[cold]
    #[inline(never)]
    fn sync_data_slow(&mut self, generation: u64) {
        let py = self.py();
        self.data_generation = generation;
        let old = {
            let mut slot = lock(&self.core.run_slot);
            self.data = slot.data.take();
            let current = match &self.data {
                Some(DataIter::Py(it)) => Some(it.clone_ref(py).into_any()),
                _ => None,
            };
            std::mem::replace(&mut slot.current, current)
        };
        drop(old);
    }

    fn has_handlers(&mut self, event: usize) -> bool {
        self.refresh_handlers();
        !self.handlers[event].is_empty()
    }

    #[inline]
    fn refresh_handlers(&mut self) {
        if self.core.generation.load(Ordering::Acquire) != self.handlers_generation {
            self.reload_handlers();
        }
    }

    #[cold]
    fn reload_handlers(&mut self) {
        let py = self.py();
        let tables = lock(&self.core.tables);
        let generation = self.core.generation.load(Ordering::Acquire);
        let handlers: Vec<_> = (0..tables.handlers.event_count())
            .map(|e| tables.handlers.snapshot(e))
            .collect();
        let counters: Vec<_> = tables.counters.iter().map(|c| c.clone_ref(py)).collect();
        drop(tables);
        self.handlers_generation = generation;
        self.quiet = vec![None; handlers.len()];
        self.filtered = handlers
            .iter()
            .map(|snapshot| snapshot.iter().any(|h| h.filter.is_some()))
            .collect();
        // Old snapshots are dropped here, after the lock is released.
        self.handlers = handlers;
        self.counters = counters;
    }

    #[inline]
    fn fire(&mut self, event: usize) -> PyResult<()> {
        self.fire_with(event, EventArgs::default())
    }

    /// Records a process or fetch span that started at `start` (profiling is on).
    fn record_since(&self, kind: u8, start: u64) {
        let (epoch, iteration) = crate::state::counters(self.state);
        self.core.record(Span {
            kind,
            event: u32::MAX,
            handler: 0,
            epoch,
            iteration,
            start,
            end: now_ns(),
        });
    }

    /// The process function's call, timed. Kept out of line so the untimed loop stays small.
    #[cold]
    #[inline(never)]
    fn process_timed(&mut self, batch: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let start = now_ns();
        let result = self.process.call1((self.engine, batch));
        self.record_since(KIND_PROCESS, start);
        result
    }

    /// The data iterator's `next()`, timed.
    #[cold]
    #[inline(never)]
    fn fetch_timed(&mut self) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = self.py();
        let start = now_ns();
        let result = match self.data.as_mut() {
            Some(data) => data.next(py),
            None => Err(no_data_iterator()),
        };
        // A fetch that gave a batch, as ignite's profilers count them (between
        // GET_BATCH_STARTED and GET_BATCH_COMPLETED): not the probe that ends a pass.
        if matches!(result, Ok(Some(_))) {
            self.record_since(KIND_FETCH, start);
        }
        result
    }

    /// `fire_with` while profiling: every firing and handler call is recorded, and the
    /// quiet-window shortcut is not taken (its firings are recorded too).
    #[cold]
    #[inline(never)]
    fn fire_timed(&mut self, event: usize, args: EventArgs<'_, 'py>) -> PyResult<()> {
        let (epoch, iteration) = crate::state::counters(self.state);
        let timing = Timing {
            core: self.core,
            event: event as u32,
            epoch,
            iteration,
        };
        let start = now_ns();
        self.refresh_handlers();
        let result = if self.handlers[event].is_empty() {
            Ok(())
        } else {
            dispatch_timed(
                self.engine,
                self.state,
                &self.handlers[event],
                &self.counters[event],
                args,
                timing,
            )
            .and_then(|()| {
                let handlers = &self.handlers[event];
                let counter = &self.counters[event];
                self.core
                    .run_late(self.engine, self.state, event, handlers, counter, args)
            })
        };
        self.core.record_event(timing, start);
        result
    }

    #[inline]
    fn fire_with(&mut self, event: usize, args: EventArgs<'_, 'py>) -> PyResult<()> {
        self.core.last_event.store(event as u32, Ordering::Relaxed);
        self.core.next_firing();
        if self.hooks.fire.is_some() {
            return self.fire_through_hook(event, args);
        }
        if self.core.profiling.load(Ordering::Relaxed) {
            return self.fire_timed(event, args);
        }
        self.refresh_handlers();
        if self.handlers[event].is_empty() {
            return Ok(());
        }
        let count = if self.filtered[event] {
            match self.counters[event] {
                Counter::Iteration => Some(self.state.borrow().iteration),
                Counter::Epoch => Some(self.state.borrow().epoch),
                _ => None,
            }
        } else {
            None
        };
        if let (Some(count), Some((low, high))) = (count, self.quiet[event]) {
            if low <= count && count < high {
                return Ok(());
            }
        }
        // No clone of the snapshot is needed: the cache is only refreshed by this loop, and
        // a handler cannot re-enter it (run() on a running engine is refused).
        let handlers = &self.handlers[event];
        dispatch(
            self.core,
            self.engine,
            self.state,
            handlers,
            &self.counters[event],
            args,
        )?;
        if self.core.has_late.load(Ordering::Relaxed) {
            self.core.run_late(
                self.engine,
                self.state,
                event,
                handlers,
                &self.counters[event],
                args,
            )?;
        }
        // Valid until the handler tables change (which resets `quiet`).
        self.quiet[event] = count.and_then(|c| quiet_window(handlers, c));
        Ok(())
    }

    /// An overridden `_fire_event(event, *args, **kwargs)` does the firing.
    #[cold]
    #[inline(never)]
    fn fire_through_hook(&mut self, event: usize, args: EventArgs<'_, 'py>) -> PyResult<()> {
        let Some((hook, events)) = &self.hooks.fire else {
            return Ok(());
        };
        let py = self.py();
        let mut positional = vec![events.get_item(event)?];
        positional.extend(args.positional.iter().cloned());
        hook.call(pyo3::types::PyTuple::new(py, positional)?, args.keywords)?;
        Ok(())
    }

    fn fire_exception(&mut self, err: PyErr) -> PyResult<()> {
        let py = self.py();
        let exc = err.into_value(py).into_bound(py).into_any();
        self.fire_with(
            EXCEPTION_RAISED,
            EventArgs {
                positional: std::slice::from_ref(&exc),
                keywords: None,
            },
        )
    }

    fn set_time(&self, key: &str, seconds: f64) -> PyResult<()> {
        let py = self.py();
        let times = self.state.borrow().times.clone_ref(py);
        times.bind(py).set_item(key, seconds)
    }

    fn run_seconds(&self) -> f64 {
        self.frame.run_seconds + self.run_mark.elapsed().as_secs_f64()
    }

    fn epoch_seconds(&self) -> f64 {
        self.frame.epoch_seconds + self.epoch_mark.elapsed().as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    //! The loop driven from Rust, with small Python callables. The core itself is passed as
    //! the "engine", so handlers can set its flags (`engine.should_terminate = 1`).
    use super::*;
    use pyo3::types::{PyModule, PyTuple};

    const HELPERS: &std::ffi::CStr = cr#"
calls = []
def step(engine, batch):
    return batch * 10
def record(engine):
    calls.append(1)
def fail_at_3(engine, batch):
    if batch == 3:
        raise ValueError("bad batch")
    return batch
def stop(engine):
    engine.should_terminate = 1
def pause(engine):
    engine.should_interrupt = True
"#;

    fn setup<'py>(
        py: Python<'py>,
    ) -> (
        Bound<'py, EngineCore>,
        Bound<'py, NativeState>,
        Bound<'py, PyModule>,
    ) {
        let core = Bound::new(py, EngineCore::py_new(py)).unwrap();
        let state = Bound::new(
            py,
            NativeState::py_new(py, &PyTuple::empty(py), None).unwrap(),
        )
        .unwrap();
        let module = PyModule::from_code(py, HELPERS, c"helpers.py", c"helpers").unwrap();
        (core, state, module)
    }

    fn start(state: &Bound<'_, NativeState>, data: Vec<i64>, max_epochs: i64) {
        let py = state.py();
        let mut s = state.borrow_mut();
        s.epoch_length = Some(data.len() as i64);
        s.max_epochs = Some(max_epochs);
        s.dataloader = data.into_pyobject(py).unwrap().into_any().unbind();
    }

    fn run_once(
        core: &Bound<'_, EngineCore>,
        state: &Bound<'_, NativeState>,
        f: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        core.get()
            .run(core.as_any(), state, f, None, None, None, None, None)
    }

    fn add(
        core: &Bound<'_, EngineCore>,
        module: &Bound<'_, PyModule>,
        event: usize,
        name: &str,
        every: Option<u64>,
    ) {
        let filter = every.map(|n| Bound::new(core.py(), every_filter(n)).unwrap().into_any());
        core.get()
            .add_handler(
                event,
                module.getattr(name).unwrap(),
                true,
                false,
                None,
                None,
                filter,
            )
            .unwrap();
    }

    fn every_filter(every: u64) -> crate::filters::EventFilter {
        crate::filters::EventFilter::from_native(crate::filters::NativeFilter::Every(every.into()))
    }

    fn calls(module: &Bound<'_, PyModule>) -> usize {
        module.getattr("calls").unwrap().len().unwrap()
    }

    #[test]
    fn runs_every_batch_of_every_epoch() {
        Python::attach(|py| {
            let (core, state, module) = setup(py);
            start(&state, vec![1, 2, 3], 2);
            add(&core, &module, ITERATION_COMPLETED, "record", Some(2));
            run_once(&core, &state, &module.getattr("step").unwrap()).unwrap();
            let s = state.borrow();
            assert_eq!((s.epoch, s.iteration), (2, 6));
            assert_eq!(s.output.extract::<i64>(py).unwrap(), 30);
            assert_eq!(calls(&module), 3); // iterations 2, 4, 6
            assert!(!core.get().is_suspended());
        });
    }

    #[test]
    fn terminate_from_a_handler_stops_after_that_iteration() {
        Python::attach(|py| {
            let (core, state, module) = setup(py);
            start(&state, vec![1, 2, 3, 4], 3);
            add(&core, &module, ITERATION_COMPLETED, "stop", Some(5));
            add(&core, &module, TERMINATE, "record", None);
            run_once(&core, &state, &module.getattr("step").unwrap()).unwrap();
            assert_eq!(state.borrow().iteration, 5);
            assert_eq!(calls(&module), 1);
        });
    }

    #[test]
    fn interrupt_suspends_and_the_next_run_continues_in_place() {
        Python::attach(|py| {
            let (core, state, module) = setup(py);
            start(&state, vec![1, 2, 3, 4], 1);
            add(&core, &module, ITERATION_COMPLETED, "pause", Some(2));
            let step = module.getattr("step").unwrap();
            run_once(&core, &state, &step).unwrap();
            assert!(core.get().is_suspended());
            assert_eq!(state.borrow().iteration, 2);
            run_once(&core, &state, &step).unwrap();
            assert_eq!(state.borrow().iteration, 4);
            run_once(&core, &state, &step).unwrap();
            assert!(!core.get().is_suspended());
            assert_eq!(state.borrow().iteration, 4);
        });
    }

    #[test]
    fn an_exception_propagates_and_leaves_a_resume_point() {
        Python::attach(|py| {
            let (core, state, module) = setup(py);
            start(&state, vec![1, 2, 3, 4], 1);
            let err = run_once(&core, &state, &module.getattr("fail_at_3").unwrap()).unwrap_err();
            assert!(err.is_instance_of::<pyo3::exceptions::PyValueError>(py));
            assert_eq!(state.borrow().iteration, 3);
            assert!(!core.get().is_running());
            let slot = lock(&core.get().run_slot);
            let resume = slot.resume.as_ref().expect("a resume point");
            assert_eq!((resume.epoch, resume.iteration_resume), (1, 2));
            assert!(slot.data.is_none());
        });
    }
}
