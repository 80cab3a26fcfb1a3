//! `EngineCore`: one per Python `Engine`. It owns the handler tables, the control flags and
//! the data iterator, and runs the loop (`run_loop.rs`).
//!
//! It never stores the Python `Engine` (nor its State): they are passed into each call, so
//! no reference cycle goes through native code except through handlers, which the garbage
//! collector can see (`__traverse__`).
//!
//! The class is `frozen`: every method takes `&self` and mutable parts sit behind atomics
//! or short-lived mutexes that are never held while Python code runs. So a handler may call
//! back into the core (add/remove handlers, fire events, terminate) during a dispatch
//! without "already borrowed" errors.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::dispatch::{
    dispatch, dispatch_timed, Counter, EventArgs, Handler, HandlerFilter, Timing,
};
use crate::events::BUILTIN_EVENTS;
use crate::filters::EventFilter;
use crate::run_loop::{DataIter, Frame, ResumePoint};
use crate::state::NativeState;
use crate::table::{HandlerTable, Snapshot};
use crate::timing::{now_ns, Profile, Span, Stats, DEFAULT_CAPACITY, KIND_EVENT};

pub const NO_EVENT: u32 = u32::MAX;

/// Values of the terminate flags, as the Python facade shows them: False, True or a string.
pub const FLAG_OFF: u8 = 0;
pub const FLAG_ON: u8 = 1;
pub const FLAG_SKIP: u8 = 2;

#[derive(Default)]
pub struct Tables {
    pub handlers: HandlerTable<Handler>,
    pub counters: Vec<Counter>,
}

/// What survives between two calls of `run`: a suspended loop, the data iterator, etc.
#[derive(Default)]
pub struct RunSlot {
    pub frame: Option<Frame>,
    pub data: Option<DataIter>,
    pub init_iter: Option<i64>,
    pub resume: Option<ResumePoint>,
    pub epoch_hook: Option<Py<PyAny>>,
    /// The iterator the running (or suspended) loop is reading, for `_dataloader_iter`.
    pub current: Option<Py<PyAny>>,
}

#[pyclass(module = "oxignite._core", frozen, name = "EngineCore")]
pub struct EngineCore {
    pub(crate) tables: Mutex<Tables>,
    /// Bumped on every change to `tables`, so the run loop knows when to refresh its cache.
    pub(crate) generation: AtomicU64,
    pub(crate) next_handler_id: AtomicU64,
    pub(crate) should_terminate: AtomicU8,
    pub(crate) should_terminate_single_epoch: AtomicU8,
    pub(crate) should_interrupt: AtomicBool,
    /// Iterations counted in the current epoch (the run loop's counter, as ignite's
    /// `iter_counter`), for gates that must open on an epoch's last iteration.
    pub(crate) epoch_iter: AtomicI64,
    pub(crate) last_event: AtomicU32,
    pub(crate) running: AtomicBool,
    pub(crate) run_slot: Mutex<RunSlot>,
    /// Bumped when the data iterator is replaced (`set_data`), possibly during a run.
    pub(crate) data_generation: AtomicU64,
    /// Whether spans are recorded (`timing.rs`); the only cost when off is reading it.
    pub(crate) profiling: AtomicBool,
    pub(crate) profile: Mutex<Profile>,
    /// The last host read of a 0-d tensor by a native (`natives::read_item`), shared so
    /// that TerminateOnNan and RunningAverage read a loss once per iteration.
    pub(crate) host_read: Mutex<Option<crate::natives::HostRead>>,
    /// Counts firings, so that a host read serves only the firing it was made in.
    pub(crate) firing: AtomicU64,
    /// Handlers appended to an event's list (ignite's inner API) while that event was being
    /// dispatched: `(event, handler id)`, called at the end of that dispatch, as ignite's
    /// loop over the live list calls them (`run_late`).
    pub(crate) late: Mutex<Vec<(usize, u64)>>,
    pub(crate) has_late: AtomicBool,
}

/// Locks a mutex, ignoring poisoning: the data behind our locks stays consistent because
/// no Python code and no fallible step runs while they are held.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl EngineCore {
    /// Starts a new firing (see `firing`). A plain load and store: the GIL serializes them.
    #[inline]
    pub(crate) fn next_firing(&self) {
        let n = self.firing.load(Ordering::Relaxed);
        self.firing.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, event: usize) -> PyResult<(Snapshot<Handler>, bool)> {
        let tables = lock(&self.tables);
        if !tables.handlers.contains_event(event) {
            return Err(PyValueError::new_err(format!("unknown event id {event}")));
        }
        let has_counter = !matches!(tables.counters[event], Counter::Unfiltered);
        Ok((tables.handlers.snapshot(event), has_counter))
    }

    /// Fires `event` through the locked path (used outside the run loop's cache).
    pub(crate) fn fire_event(
        &self,
        engine: &Bound<'_, PyAny>,
        state: &Bound<'_, NativeState>,
        event: usize,
        args: EventArgs<'_, '_>,
    ) -> PyResult<()> {
        let handlers = self.snapshot(event)?.0;
        self.last_event.store(event as u32, Ordering::Relaxed);
        self.next_firing();
        let timing = self.profiling.load(Ordering::Relaxed).then(|| {
            let (epoch, iteration) = crate::state::counters(state);
            Timing {
                core: self,
                event: event as u32,
                epoch,
                iteration,
            }
        });
        let start = timing.map(|_| now_ns());
        let result = if handlers.is_empty() {
            Ok(())
        } else {
            // Copy the counter out so no lock is held while handlers run.
            let counter = lock(&self.tables).counters[event].clone_ref(engine.py());
            match timing {
                Some(t) => dispatch_timed(engine, state, &handlers, &counter, args, t),
                None => dispatch(self, engine, state, &handlers, &counter, args).map(drop),
            }
            .and_then(|()| self.run_late(engine, state, event, &handlers, &counter, args))
        };
        if let (Some(t), Some(start)) = (timing, start) {
            self.record_event(t, start);
        }
        result
    }

    /// Calls the handlers appended to `event`'s list during its dispatch over `called`
    /// (queued by `call_late`), then those they append, in order. One atomic load when none.
    pub(crate) fn run_late(
        &self,
        engine: &Bound<'_, PyAny>,
        state: &Bound<'_, NativeState>,
        event: usize,
        called: &[std::sync::Arc<crate::dispatch::Handler>],
        counter: &Counter,
        args: EventArgs<'_, '_>,
    ) -> PyResult<()> {
        let mut done: Vec<u64> = Vec::new();
        while self.has_late.load(Ordering::Relaxed) {
            let ids: Vec<u64> = {
                let mut late = lock(&self.late);
                let (mine, rest): (Vec<_>, Vec<_>) = late.drain(..).partition(|(e, _)| *e == event);
                *late = rest;
                self.has_late.store(!late.is_empty(), Ordering::Relaxed);
                mine.into_iter().map(|(_, id)| id).collect()
            };
            if ids.is_empty() {
                break;
            }
            let (current, _) = self.snapshot(event)?;
            // In table order; never one this firing has called already.
            let todo: Vec<_> = current
                .iter()
                .filter(|h| ids.contains(&h.id))
                .filter(|h| !done.contains(&h.id) && !called.iter().any(|c| c.id == h.id))
                .cloned()
                .collect();
            done.extend(todo.iter().map(|h| h.id));
            dispatch(self, engine, state, &todo, counter, args)?;
        }
        Ok(())
    }

    pub(crate) fn clear_late(&self) {
        lock(&self.late).clear();
        self.has_late.store(false, Ordering::Relaxed);
    }

    /// Records a span (profiling is on).
    pub(crate) fn record(&self, span: Span) {
        lock(&self.profile).record(span);
    }

    /// Records spans under one lock.
    pub(crate) fn record_all(&self, spans: &[Span]) {
        if spans.is_empty() {
            return;
        }
        let mut profile = lock(&self.profile);
        for span in spans {
            profile.record(*span);
        }
    }

    /// Records the firing described by `t`, which started at `start`.
    pub(crate) fn record_event(&self, t: Timing<'_>, start: u64) {
        self.record(Span {
            kind: KIND_EVENT,
            event: t.event,
            handler: 0,
            epoch: t.epoch,
            iteration: t.iteration,
            start,
            end: now_ns(),
        });
    }

    /// A handler for `event`, checked but not yet registered.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new_handler(
        &self,
        event: usize,
        func: Bound<'_, PyAny>,
        pass_engine: bool,
        with_event_args: bool,
        args: Option<Bound<'_, PyTuple>>,
        kwargs: Option<Bound<'_, PyDict>>,
        filter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Handler> {
        if !func.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "handler must be callable, got {}",
                func.get_type().name()?
            )));
        }
        let native = match &filter {
            None => None,
            Some(f) => match f.cast::<EventFilter>() {
                Ok(native) => Some(HandlerFilter::Native(native.get().filter.clone())),
                Err(_) if f.is_callable() => Some(HandlerFilter::Custom(f.clone().unbind())),
                Err(_) => {
                    return Err(pyo3::exceptions::PyTypeError::new_err(
                        "filter must be an EventFilter or a callable(engine, event) -> bool",
                    ))
                }
            },
        };
        let (_, has_counter) = self.snapshot(event)?;
        if native.is_some() && !has_counter {
            return Err(PyValueError::new_err(
                "this event has no counter in State, so it cannot take a filter",
            ));
        }
        Ok(Handler {
            id: self.next_handler_id.fetch_add(1, Ordering::Relaxed),
            func: func.unbind(),
            pass_engine,
            with_event_args,
            args: args.filter(|a| !a.is_empty()).map(Bound::unbind),
            kwargs: kwargs.filter(|k| !k.is_empty()).map(Bound::unbind),
            filter: native,
            filter_obj: filter.map(Bound::unbind),
            alive: AtomicBool::new(true),
            native: std::sync::OnceLock::new(),
            replaced_by: std::sync::OnceLock::new(),
        })
    }

    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }
}

#[pymethods]
impl EngineCore {
    #[new]
    pub(crate) fn py_new(py: Python<'_>) -> Self {
        let mut tables = Tables::default();
        for (_, _, counter) in BUILTIN_EVENTS {
            tables.handlers.add_event();
            tables.counters.push(Counter::from_attr(py, counter));
        }
        EngineCore {
            tables: Mutex::new(tables),
            generation: AtomicU64::new(0),
            next_handler_id: AtomicU64::new(1),
            should_terminate: AtomicU8::new(FLAG_OFF),
            should_terminate_single_epoch: AtomicU8::new(FLAG_OFF),
            epoch_iter: AtomicI64::new(0),
            should_interrupt: AtomicBool::new(false),
            last_event: AtomicU32::new(NO_EVENT),
            running: AtomicBool::new(false),
            run_slot: Mutex::new(RunSlot::default()),
            data_generation: AtomicU64::new(0),
            profiling: AtomicBool::new(false),
            profile: Mutex::new(Profile::default()),
            host_read: Mutex::new(None),
            firing: AtomicU64::new(0),
            late: Mutex::new(Vec::new()),
            has_late: AtomicBool::new(false),
        }
    }

    /// Adds an event and returns its id. `counter` names the State attribute its filters
    /// count (`"iteration"`, `"epoch"` or a custom one), or None for an unfilterable event.
    #[pyo3(signature = (counter=None))]
    fn register_event(&self, py: Python<'_>, counter: Option<&str>) -> usize {
        let mut tables = lock(&self.tables);
        let id = tables.handlers.add_event();
        tables.counters.push(Counter::from_attr(py, counter));
        drop(tables);
        self.bump();
        id
    }

    /// Changes the counter of an existing event (re-registration with `event_to_attr`).
    fn set_event_counter(
        &self,
        py: Python<'_>,
        event: usize,
        counter: Option<&str>,
    ) -> PyResult<()> {
        let mut tables = lock(&self.tables);
        if event >= tables.counters.len() {
            return Err(PyValueError::new_err(format!("unknown event id {event}")));
        }
        let old = std::mem::replace(&mut tables.counters[event], Counter::from_attr(py, counter));
        drop(tables);
        drop(old);
        self.bump();
        Ok(())
    }

    fn event_count(&self) -> usize {
        lock(&self.tables).handlers.event_count()
    }

    /// Registers `func` on `event` and returns the handler's id. The facade has checked the
    /// signature and decided `pass_engine` / `with_event_args`.
    #[pyo3(signature = (event, func, pass_engine, with_event_args=false, args=None, kwargs=None, filter=None))]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_handler(
        &self,
        event: usize,
        func: Bound<'_, PyAny>,
        pass_engine: bool,
        with_event_args: bool,
        args: Option<Bound<'_, PyTuple>>,
        kwargs: Option<Bound<'_, PyDict>>,
        filter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let handler = self.new_handler(
            event,
            func,
            pass_engine,
            with_event_args,
            args,
            kwargs,
            filter,
        )?;
        let id = handler.id;
        let old = lock(&self.tables).handlers.push(event, Arc::new(handler));
        self.bump();
        drop(old);
        Ok(id)
    }

    /// Rebuilds the handler list of `event` from `items`, each the id of one of its current
    /// handlers (kept as is) or a callable, registered as a new handler that takes the
    /// event's arguments and no engine (ignite's raw `(handler, args, kwargs)` rows, wrapped
    /// by the facade). Handlers left out are removed. Returns the ids, in order.
    fn set_event_handlers(&self, event: usize, items: Vec<Bound<'_, PyAny>>) -> PyResult<Vec<u64>> {
        let (current, _) = self.snapshot(event)?;
        let mut handlers = Vec::with_capacity(items.len());
        for item in items {
            if let Ok(id) = item.extract::<u64>() {
                let found = current.iter().find(|h| h.id == id).ok_or_else(|| {
                    PyValueError::new_err(format!("no handler with id {id} on event {event}"))
                })?;
                handlers.push(Arc::clone(found));
            } else {
                let h = self.new_handler(event, item, false, true, None, None, None)?;
                handlers.push(Arc::new(h));
            }
        }
        let ids: Vec<u64> = handlers.iter().map(|h| h.id).collect();
        let handlers_now = handlers.clone();
        let old = {
            let mut tables = lock(&self.tables);
            if !Arc::ptr_eq(&tables.handlers.snapshot(event), &current) {
                return Err(PyRuntimeError::new_err(
                    "the handlers changed while their list was being rebuilt",
                ));
            }
            tables.handlers.replace(event, handlers)
        };
        // A new row in the place of a removed one (same length, same index) replaces it.
        if old.len() == handlers_now.len() {
            for (was, now) in old.iter().zip(handlers_now.iter()) {
                let new_row = !old.iter().any(|h| h.id == now.id);
                if was.id != now.id && !ids.contains(&was.id) && new_row {
                    let _ = was.replaced_by.set(Arc::clone(now));
                }
            }
        }
        for h in old.iter().filter(|h| !ids.contains(&h.id)) {
            h.alive.store(false, Ordering::Relaxed);
        }
        self.bump();
        drop((old, current));
        Ok(ids)
    }

    /// `[(id, func, args, kwargs, pass_engine, with_event_args, filter), ...]` of an event,
    /// for the facade's live `_event_handlers` view.
    fn handler_rows<'py>(&self, py: Python<'py>, event: usize) -> PyResult<Bound<'py, PyList>> {
        let (snapshot, _) = self.snapshot(event)?;
        let rows = snapshot
            .iter()
            .map(|h| {
                let args = match &h.args {
                    Some(a) => a.bind(py).clone(),
                    None => PyTuple::empty(py),
                };
                let kwargs = match &h.kwargs {
                    Some(k) => k.bind(py).clone(),
                    None => PyDict::new(py),
                };
                let filter = match &h.filter_obj {
                    Some(f) => f.bind(py).clone(),
                    None => py.None().into_bound(py),
                };
                (
                    h.id,
                    h.func.bind(py).clone(),
                    args,
                    kwargs,
                    h.pass_engine,
                    h.with_event_args,
                    filter,
                )
                    .into_pyobject(py)
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, rows)
    }

    /// Removes the handlers of `event` equal to `func` (Python `==`, as ignite compares
    /// them, so bound methods match). Returns how many were removed.
    fn remove_handler(&self, event: usize, func: &Bound<'_, PyAny>) -> PyResult<usize> {
        let (snapshot, _) = self.snapshot(event)?;
        // Compare outside the lock: `__eq__` is Python code and may call back into us.
        let mut doomed = Vec::new();
        for h in snapshot.iter() {
            if h.func.bind(func.py()).eq(func)? {
                doomed.push(h.id);
            }
        }
        self.remove_ids(event, doomed)
    }

    /// Removes handlers by id (as returned by `add_handler`).
    fn remove_ids(&self, event: usize, ids: Vec<u64>) -> PyResult<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        let (removed, old) = {
            let mut tables = lock(&self.tables);
            if !tables.handlers.contains_event(event) {
                return Err(PyValueError::new_err(format!("unknown event id {event}")));
            }
            tables.handlers.retain(event, |h| !ids.contains(&h.id))
        };
        for h in &removed {
            h.alive.store(false, Ordering::Relaxed);
        }
        self.bump();
        let count = removed.len();
        drop((removed, old));
        Ok(count)
    }

    /// Whether `func` is registered on `event`, or on any event when `event` is None.
    #[pyo3(signature = (func, event=None))]
    fn has_handler(&self, func: &Bound<'_, PyAny>, event: Option<usize>) -> PyResult<bool> {
        let snapshots: Vec<Snapshot<Handler>> = {
            let tables = lock(&self.tables);
            match event {
                Some(e) if !tables.handlers.contains_event(e) => return Ok(false),
                Some(e) => vec![tables.handlers.snapshot(e)],
                None => (0..tables.handlers.event_count())
                    .map(|e| tables.handlers.snapshot(e))
                    .collect(),
            }
        };
        for snapshot in snapshots {
            for h in snapshot.iter() {
                if h.func.bind(func.py()).eq(func)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Gives the last handler of `event` registered as `func` (by equality, as
    /// `has_handler`) the native stand-in `spec` describes (`natives.rs`). Returns False
    /// when there is no such handler or it already has one.
    fn set_native(
        &self,
        event: usize,
        func: &Bound<'_, PyAny>,
        spec: &Bound<'_, crate::natives::NativeSpec>,
    ) -> PyResult<bool> {
        let (snapshot, _) = self.snapshot(event)?;
        for h in snapshot.iter().rev() {
            if h.func.bind(func.py()).eq(func)? {
                return Ok(h.native.set(spec.get().build(func.py())).is_ok());
            }
        }
        Ok(false)
    }

    /// Queues handler `handler_id`, just appended to `event`'s list during `event`'s
    /// dispatch, to be called at the end of that dispatch (see `run_late`).
    fn call_late(&self, event: usize, handler_id: u64) {
        lock(&self.late).push((event, handler_id));
        self.has_late.store(true, Ordering::Relaxed);
    }

    /// Iterations counted so far in the current epoch of the run.
    #[getter]
    fn epoch_iter(&self) -> i64 {
        self.epoch_iter.load(Ordering::Relaxed)
    }

    fn handler_count(&self, event: usize) -> PyResult<usize> {
        Ok(self.snapshot(event)?.0.len())
    }

    /// `[(func, args, kwargs), ...]` of an event, for introspection.
    fn handlers<'py>(&self, py: Python<'py>, event: usize) -> PyResult<Bound<'py, PyList>> {
        let (snapshot, _) = self.snapshot(event)?;
        let rows = snapshot
            .iter()
            .map(|h| {
                let args = match &h.args {
                    Some(a) => a.bind(py).clone(),
                    None => PyTuple::empty(py),
                };
                let kwargs = match &h.kwargs {
                    Some(k) => k.bind(py).copy()?,
                    None => PyDict::new(py),
                };
                PyTuple::new(
                    py,
                    [h.func.bind(py).clone(), args.into_any(), kwargs.into_any()],
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, rows)
    }

    fn clear_handlers(&self) {
        let old = lock(&self.tables).handlers.clear();
        for snapshot in &old {
            for h in snapshot.iter() {
                h.alive.store(false, Ordering::Relaxed);
            }
        }
        self.bump();
        drop(old);
    }

    /// Fires `event`: calls its handlers with `args` / `kwargs` passed to those that take
    /// the event's arguments.
    #[pyo3(signature = (engine, state, event, args=None, kwargs=None))]
    fn fire(
        &self,
        engine: &Bound<'_, PyAny>,
        state: &Bound<'_, NativeState>,
        event: usize,
        args: Option<Bound<'_, PyTuple>>,
        kwargs: Option<Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let positional: Vec<Bound<'_, PyAny>> =
            args.map(|a| a.iter().collect()).unwrap_or_default();
        let event_args = EventArgs {
            positional: &positional,
            keywords: kwargs.as_ref(),
        };
        self.fire_event(engine, state, event, event_args)
    }

    /// Runs (or resumes) the loop. Returns when the run completes, terminates, is
    /// interrupted (then `is_suspended` is true) or raises.
    ///
    /// Hooks, for engine subclasses that override ignite's private methods (None keeps the
    /// native path): `fire_hook(event, *args, **kwargs)` replaces every firing (events are
    /// looked up by id in `event_objects`); `setup_hook()` replaces the start of a pass over
    /// the data (ignite's `_setup_engine`), which sets the iterator with `set_data_iter`;
    /// `epoch_done_hook()` is called after each completed epoch (for its log line), and
    /// `log_error(message)` with ignite's message for an exception that ends an epoch or run.
    #[pyo3(signature = (engine, state, process_function, fire_hook=None, event_objects=None, setup_hook=None, epoch_done_hook=None, log_error=None))]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        engine: &Bound<'_, PyAny>,
        state: &Bound<'_, NativeState>,
        process_function: &Bound<'_, PyAny>,
        fire_hook: Option<Bound<'_, PyAny>>,
        event_objects: Option<Bound<'_, PyList>>,
        setup_hook: Option<Bound<'_, PyAny>>,
        epoch_done_hook: Option<Bound<'_, PyAny>>,
        log_error: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(PyRuntimeError::new_err(
                "Engine.run() was called while this engine is already running",
            ));
        }
        // A row queued by `call_late` outside its event's dispatch (e.g. appended after the
        // last run's COMPLETED) would make every firing of this run look at the queue.
        self.clear_late();
        let hooks = crate::run_loop::Hooks {
            fire: fire_hook.zip(event_objects),
            setup: setup_hook,
            epoch_done: epoch_done_hook,
            log_error,
        };
        let result = crate::run_loop::run(self, engine, state, process_function, hooks);
        self.running.store(false, Ordering::Release);
        result
    }

    #[getter]
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    #[getter]
    pub(crate) fn is_suspended(&self) -> bool {
        lock(&self.run_slot).frame.is_some()
    }

    /// Forgets a suspended run and any resume point (the state was replaced).
    fn reset_run(&self) {
        let mut slot = lock(&self.run_slot);
        slot.frame = None;
        slot.resume = None;
    }

    /// Replaces the data iterator (`Engine.set_data`, possibly from a handler mid-run).
    #[pyo3(signature = (iterator))]
    fn set_data_iter(&self, iterator: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let new = match iterator {
            Some(it) => Some(DataIter::from_iterable(&it)?),
            None => None,
        };
        let old = std::mem::replace(&mut lock(&self.run_slot).data, new);
        self.data_generation.fetch_add(1, Ordering::Release);
        drop(old);
        Ok(())
    }

    /// The data iterator of the current (or suspended) run, if it is a Python iterator.
    #[getter]
    fn data_iter(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        let slot = lock(&self.run_slot);
        match &slot.data {
            Some(DataIter::Py(it)) => Some(it.clone_ref(py).into_any()),
            _ => slot.current.as_ref().map(|c| c.clone_ref(py)),
        }
    }

    #[getter]
    fn has_data_iter(&self) -> bool {
        lock(&self.run_slot).data.is_some() || self.running.load(Ordering::Acquire)
    }

    /// Called with the 0-based epoch before each new pass over the data (e.g. a
    /// DistributedSampler's `set_epoch`), or None.
    #[setter]
    fn set_epoch_hook(&self, hook: Option<Py<PyAny>>) {
        let old = std::mem::replace(&mut lock(&self.run_slot).epoch_hook, hook);
        drop(old);
    }

    #[getter]
    fn get_init_iter(&self) -> Option<i64> {
        lock(&self.run_slot).init_iter
    }

    #[setter]
    fn set_init_iter(&self, value: Option<i64>) {
        lock(&self.run_slot).init_iter = value;
    }

    #[getter]
    fn get_should_terminate(&self) -> u8 {
        self.should_terminate.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_should_terminate(&self, value: u8) -> PyResult<()> {
        self.should_terminate
            .store(check_flag(value)?, Ordering::Relaxed);
        Ok(())
    }

    #[getter]
    fn get_should_terminate_single_epoch(&self) -> u8 {
        self.should_terminate_single_epoch.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_should_terminate_single_epoch(&self, value: u8) -> PyResult<()> {
        self.should_terminate_single_epoch
            .store(check_flag(value)?, Ordering::Relaxed);
        Ok(())
    }

    #[getter]
    fn get_should_interrupt(&self) -> bool {
        self.should_interrupt.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_should_interrupt(&self, value: bool) {
        self.should_interrupt.store(value, Ordering::Relaxed);
    }

    #[getter]
    fn get_last_event(&self) -> Option<u32> {
        match self.last_event.load(Ordering::Relaxed) {
            NO_EVENT => None,
            e => Some(e),
        }
    }

    #[setter]
    fn set_last_event(&self, value: Option<u32>) {
        self.last_event
            .store(value.unwrap_or(NO_EVENT), Ordering::Relaxed);
    }

    /// Starts recording spans, keeping at most `capacity` raw spans (aggregates are kept
    /// for all). `reset` forgets what was recorded before.
    #[pyo3(signature = (capacity=DEFAULT_CAPACITY, reset=true))]
    fn profile_start(&self, capacity: usize, reset: bool) {
        let old = {
            let mut profile = lock(&self.profile);
            if reset {
                Some(std::mem::replace(&mut *profile, Profile::new(capacity)))
            } else {
                profile.capacity = capacity;
                while profile.spans.len() > capacity {
                    profile.spans.pop_front();
                    profile.dropped += 1;
                }
                None
            }
        };
        drop(old);
        self.profiling.store(true, Ordering::Relaxed);
    }

    /// Stops recording; what was recorded stays readable.
    fn profile_stop(&self) {
        self.profiling.store(false, Ordering::Relaxed);
    }

    #[getter]
    fn profiling(&self) -> bool {
        self.profiling.load(Ordering::Relaxed)
    }

    /// Raw spans, oldest first: `(kind, event, handler, epoch, iteration, start_ns, end_ns)`,
    /// `kind` indexing `SPAN_KINDS`.
    fn profile_spans<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // Copied out first: building Python objects may run Python code (GC, finalizers).
        let spans: Vec<Span> = lock(&self.profile).spans.iter().copied().collect();
        let rows = spans
            .iter()
            .map(|s| {
                (
                    s.kind,
                    s.event,
                    s.handler,
                    s.epoch,
                    s.iteration,
                    s.start,
                    s.end,
                )
                    .into_pyobject(py)
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, rows)
    }

    /// Aggregates: `{"events": {id: stats}, "handlers": {id: (event, stats)}, "process":
    /// stats, "fetch": stats, "dropped": n, "capacity": n}`, where stats is `(count, total,
    /// min, min_index, max, max_index, mean, std)` in nanoseconds (std: sample, None below
    /// two calls).
    fn profile_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let (events, handlers, process, fetch, dropped, capacity) = {
            let p = lock(&self.profile);
            let handlers: Vec<(u64, u32, Stats)> = p
                .handlers
                .iter()
                .map(|(id, (e, s))| (*id, *e, *s))
                .collect();
            (
                p.events.clone(),
                handlers,
                p.process,
                p.fetch,
                p.dropped,
                p.capacity,
            )
        };
        let stats = |s: &Stats| {
            (
                s.count,
                s.total,
                s.min,
                s.min_index,
                s.max,
                s.max_index,
                s.mean(),
                s.std(),
            )
        };
        let out = PyDict::new(py);
        let by_event = PyDict::new(py);
        for (id, s) in events.iter().enumerate().filter(|(_, s)| s.count > 0) {
            by_event.set_item(id, stats(s))?;
        }
        let by_handler = PyDict::new(py);
        for (id, event, s) in &handlers {
            by_handler.set_item(id, (event, stats(s)))?;
        }
        out.set_item("events", by_event)?;
        out.set_item("handlers", by_handler)?;
        out.set_item("process", stats(&process))?;
        out.set_item("fetch", stats(&fetch))?;
        out.set_item("dropped", dropped)?;
        out.set_item("capacity", capacity)?;
        Ok(out)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // try_lock: the collector may run while we hold a lock (e.g. during an allocation);
        // skipping one pass then is harmless, blocking would deadlock.
        if let Ok(tables) = self.tables.try_lock() {
            for h in tables.handlers.iter_all() {
                h.traverse(&visit)?;
            }
        }
        if let Ok(read) = self.host_read.try_lock() {
            if let Some(read) = read.as_ref() {
                read.traverse(&visit)?;
            }
        }
        if let Ok(slot) = self.run_slot.try_lock() {
            if let Some(data) = &slot.data {
                data.traverse(&visit)?;
            }
            if let Some(hook) = &slot.epoch_hook {
                visit.call(hook)?;
            }
            if let Some(current) = &slot.current {
                visit.call(current)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let read = lock(&self.host_read).take();
        drop(read);
        self.clear_handlers();
        let old = std::mem::take(&mut *lock(&self.run_slot));
        drop(old);
    }
}

fn check_flag(value: u8) -> PyResult<u8> {
    if value > FLAG_SKIP {
        return Err(PyValueError::new_err(
            "flag must be 0 (off), 1 (on) or 2 (skip)",
        ));
    }
    Ok(value)
}
