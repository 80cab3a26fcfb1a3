//! Calling an event's handlers.
//!
//! Rule for handlers changed while an event is being dispatched (documented in the engine's
//! docstring and tested): a handler added during a dispatch is first called at the next
//! firing; a handler removed during a dispatch is not called again, not even later in the
//! dispatch that removed it.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::core::EngineCore;
use crate::filters::NativeFilter;
use crate::natives::{Native, Outcome};
use crate::state::NativeState;
use crate::timing::{now_ns, Span, KIND_HANDLER};

/// Where handler calls are recorded while profiling: the engine's core and the firing.
#[derive(Clone, Copy)]
pub struct Timing<'a> {
    pub core: &'a EngineCore,
    pub event: u32,
    pub epoch: i64,
    pub iteration: i64,
}

/// Which state counter an event's filters are evaluated against.
pub enum Counter {
    Iteration,
    Epoch,
    /// A custom event mapped to a State attribute through `event_to_attr`.
    Attr(Py<PyString>),
    /// The event has no counter, so it cannot take a filter.
    Unfiltered,
}

impl Counter {
    pub fn from_attr(py: Python<'_>, attr: Option<&str>) -> Self {
        match attr {
            Some("iteration") => Counter::Iteration,
            Some("epoch") => Counter::Epoch,
            Some(name) => Counter::Attr(PyString::intern(py, name).unbind()),
            None => Counter::Unfiltered,
        }
    }

    pub fn clone_ref(&self, py: Python<'_>) -> Self {
        match self {
            Counter::Iteration => Counter::Iteration,
            Counter::Epoch => Counter::Epoch,
            Counter::Attr(name) => Counter::Attr(name.clone_ref(py)),
            Counter::Unfiltered => Counter::Unfiltered,
        }
    }

    /// The counter's value. A custom attribute may hold any Python int; one beyond 128 bits
    /// is refused with a ValueError naming it.
    pub fn read(&self, state: &Bound<'_, NativeState>) -> PyResult<i128> {
        match self {
            Counter::Iteration => Ok(state.borrow().iteration.into()),
            Counter::Epoch => Ok(state.borrow().epoch.into()),
            Counter::Attr(name) => {
                let name = name.bind(state.py());
                let value = state.as_any().getattr(name)?;
                crate::filters::count_i128(&format!("state.{name}"), &value)
            }
            Counter::Unfiltered => Err(pyo3::exceptions::PyRuntimeError::new_err(
                "internal error: a filtered handler on an event without a counter",
            )),
        }
    }
}

pub enum HandlerFilter {
    Native(NativeFilter),
    /// `event_filter(engine, count) -> bool`, the one filter kind that calls Python.
    Custom(Py<PyAny>),
}

pub struct Handler {
    pub id: u64,
    pub func: Py<PyAny>,
    /// Decided at registration from the handler's signature.
    pub pass_engine: bool,
    /// Whether the event's own arguments (the exception of EXCEPTION_RAISED, ...) are passed.
    pub with_event_args: bool,
    pub args: Option<Py<PyTuple>>,
    pub kwargs: Option<Py<PyDict>>,
    pub filter: Option<HandlerFilter>,
    /// The filter object as given (an EventFilter or a callable), for `handler_rows`.
    pub filter_obj: Option<Py<PyAny>>,
    pub alive: AtomicBool,
    /// Work the dispatch does in place of the Python call (`natives.rs`), set by the facade
    /// right after registration.
    pub native: std::sync::OnceLock<Native>,
    /// The handler put at this one's place in its list (ignite's inner API:
    /// `engine._event_handlers[e][i] = row`): a dispatch that has not reached this one yet
    /// calls that one instead, as ignite's loop over the live list does.
    pub replaced_by: std::sync::OnceLock<std::sync::Arc<Handler>>,
}

/// The arguments an event itself passes to handlers that take them.
#[derive(Default, Clone, Copy)]
pub struct EventArgs<'a, 'py> {
    pub positional: &'a [Bound<'py, PyAny>],
    pub keywords: Option<&'a Bound<'py, PyDict>>,
}

impl Handler {
    /// This handler if it is still registered, else the live handler that replaced it in
    /// its list, if any.
    #[inline]
    pub fn live(self: &std::sync::Arc<Self>) -> Option<&std::sync::Arc<Self>> {
        let mut h = self;
        loop {
            if h.alive.load(Ordering::Relaxed) {
                return Some(h);
            }
            h = h.replaced_by.get()?;
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        if let Some(args) = &self.args {
            visit.call(args)?;
        }
        if let Some(kwargs) = &self.kwargs {
            visit.call(kwargs)?;
        }
        if let Some(HandlerFilter::Custom(f)) = &self.filter {
            visit.call(f)?;
        }
        if let Some(f) = &self.filter_obj {
            visit.call(f)?;
        }
        if let Some(native) = self.native.get() {
            native.traverse(visit)?;
        }
        Ok(())
    }

    /// Whether the filter lets this firing through. `count` caches the event's counter
    /// between handlers; it is cleared after any Python call, which may change the state.
    fn passes(
        &self,
        engine: &Bound<'_, PyAny>,
        state: &Bound<'_, NativeState>,
        counter: &Counter,
        count: &mut Option<i128>,
    ) -> PyResult<bool> {
        let Some(filter) = &self.filter else {
            return Ok(true);
        };
        let n = match *count {
            Some(n) => n,
            None => {
                let n = counter.read(state)?;
                *count = Some(n);
                n
            }
        };
        match filter {
            HandlerFilter::Native(filter) => Ok(filter.fires(n)),
            HandlerFilter::Custom(filter) => {
                *count = None;
                // An i64 converts to a Python int far faster than an i128.
                match i64::try_from(n) {
                    Ok(n) => filter.bind(engine.py()).call1((engine, n))?.is_truthy(),
                    Err(_) => call_filter_wide(filter, engine, n),
                }
            }
        }
    }

    fn call(&self, engine: &Bound<'_, PyAny>, event: EventArgs<'_, '_>) -> PyResult<()> {
        let py = engine.py();
        let func = self.func.bind(py);
        let plain = self.args.is_none()
            && self.kwargs.is_none()
            && (!self.with_event_args || (event.positional.is_empty() && event.keywords.is_none()));
        if plain {
            // The common case: one vectorcall with zero or one argument.
            if self.pass_engine {
                func.call1((engine,))?;
            } else {
                func.call0()?;
            }
            return Ok(());
        }
        let mut positional: Vec<Bound<'_, PyAny>> = Vec::new();
        if self.pass_engine {
            positional.push(engine.clone());
        }
        if self.with_event_args {
            positional.extend(event.positional.iter().cloned());
        }
        if let Some(args) = &self.args {
            positional.extend(args.bind(py).iter());
        }
        let kwargs = match (
            &self.kwargs,
            self.with_event_args.then_some(event.keywords).flatten(),
        ) {
            (None, None) => None,
            (Some(own), None) => Some(own.bind(py).copy()?),
            (own, Some(extra)) => {
                let merged = match own {
                    Some(own) => own.bind(py).copy()?,
                    None => PyDict::new(py),
                };
                merged.update(extra.as_mapping())?;
                Some(merged)
            }
        };
        func.call(PyTuple::new(py, positional)?, kwargs.as_ref())?;
        Ok(())
    }
}

/// The counts above `count` at which none of `handlers` fires: `Some((count + 1, next))`
/// where `next` is the first count at which one of them may fire. None when a handler has no
/// filter or a custom one (it must be consulted at every firing).
pub fn quiet_window(handlers: &[std::sync::Arc<Handler>], count: i64) -> Option<(i64, i64)> {
    let mut next = i64::MAX;
    for handler in handlers {
        match &handler.filter {
            Some(HandlerFilter::Native(filter)) => {
                next = next.min(filter.next_firing_after(count).unwrap_or(i64::MAX));
            }
            _ => return None,
        }
    }
    Some((count.saturating_add(1), next))
}

/// Calls, in order, the handlers of `handlers` that are still registered and whose filter
/// passes. Stops at the first exception and returns it.
/// A custom filter called with a count beyond 64 bits (a custom counter set that high).
#[cold]
#[inline(never)]
fn call_filter_wide(filter: &Py<PyAny>, engine: &Bound<'_, PyAny>, n: i128) -> PyResult<bool> {
    filter.bind(engine.py()).call1((engine, n))?.is_truthy()
}

/// Records a handler call that ended now and started at `mark` (profiling is on); the next
/// call starts where this one ended, so each call costs one clock read.
#[cold]
#[inline(never)]
fn note_call(spans: &mut Vec<Span>, mark: &mut u64, t: &Timing<'_>, handler: u64) {
    let end = now_ns();
    spans.push(Span {
        kind: KIND_HANDLER,
        event: t.event,
        handler,
        epoch: t.epoch,
        iteration: t.iteration,
        start: *mark,
        end,
    });
    *mark = end;
}

/// Calls, in order, the handlers of `handlers` that are still registered and whose filter
/// passes. Stops at the first exception and returns it; else returns how many were called.
pub fn dispatch(
    core: &EngineCore,
    engine: &Bound<'_, PyAny>,
    state: &Bound<'_, NativeState>,
    handlers: &[std::sync::Arc<Handler>],
    counter: &Counter,
    event: EventArgs<'_, '_>,
) -> PyResult<usize> {
    let mut count = None;
    let mut calls = 0;
    for handler in handlers {
        let Some(handler) = handler.live() else {
            continue;
        };
        if handler.passes(engine, state, counter, &mut count)? {
            if let Some(native) = handler.native.get() {
                match run_native(native, core, state, counter, &mut count)? {
                    Outcome::Skip => continue,
                    Outcome::Done => {
                        calls += 1;
                        continue;
                    }
                    Outcome::Call => {}
                }
            }
            count = None;
            calls += 1;
            handler.call(engine, event)?;
        }
    }
    Ok(calls)
}

/// A handler's native stand-in (the Python call when natives are switched off). It may call
/// Python (a transform), so the cached count is dropped unless it only read the count (a gate).
fn run_native(
    native: &Native,
    core: &EngineCore,
    state: &Bound<'_, NativeState>,
    counter: &Counter,
    count: &mut Option<i128>,
) -> PyResult<Outcome> {
    if !crate::natives::enabled() {
        return Ok(Outcome::Call);
    }
    let cached = *count;
    let read = || match cached {
        Some(n) => Ok(n),
        None => counter.read(state),
    };
    let outcome = native.run(core, state, read);
    if !matches!(native, Native::Gate(_)) {
        *count = None;
    }
    outcome
}

/// `dispatch` while profiling: each call becomes a span, recorded under one lock for the
/// whole firing. It goes through `dispatch` one handler at a time, so the untimed loop stays
/// the only copy of the calling code (and keeps its inlining).
#[cold]
#[inline(never)]
pub fn dispatch_timed(
    engine: &Bound<'_, PyAny>,
    state: &Bound<'_, NativeState>,
    handlers: &[std::sync::Arc<Handler>],
    counter: &Counter,
    event: EventArgs<'_, '_>,
    t: Timing<'_>,
) -> PyResult<()> {
    let mut spans = Vec::with_capacity(handlers.len());
    let mut mark = now_ns();
    let mut result = Ok(());
    for handler in handlers {
        match dispatch(
            t.core,
            engine,
            state,
            std::slice::from_ref(handler),
            counter,
            event,
        ) {
            Ok(0) => {}
            Ok(_) => note_call(&mut spans, &mut mark, &t, handler.id),
            Err(err) => {
                note_call(&mut spans, &mut mark, &t, handler.id);
                result = Err(err);
                break;
            }
        }
    }
    t.core.record_all(&spans);
    result
}
