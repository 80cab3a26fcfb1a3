//! oxignite's native core: event filters, handler tables, dispatch and the run loop.
//! Everything users read and extend lives in the Python package `oxignite`.

use pyo3::prelude::*;

mod clock;
mod core;
mod dispatch;
mod events;
mod filters;
mod metric_inputs;
mod metric_store;
mod natives;
mod run_loop;
mod state;
mod table;
mod tensor_attrs;
mod timing;

/// Nanoseconds on the clock the core's profiling spans use (monotonic, shared by engines).
#[pyfunction]
fn monotonic_ns() -> u64 {
    timing::now_ns()
}

#[pymodule(gil_used = true)]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<core::EngineCore>()?;
    m.add_class::<state::NativeState>()?;
    m.add_class::<filters::EventFilter>()?;
    m.add_class::<natives::Gate>()?;
    m.add_class::<natives::NativeTimer>()?;
    m.add_class::<natives::NativeSpec>()?;
    natives::init_from_env();
    m.add_function(wrap_pyfunction!(natives::natives_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(natives::set_natives_enabled, m)?)?;
    m.add("BUILTIN_EVENTS", events::BUILTIN_EVENTS.to_vec())?;
    m.add("SPAN_KINDS", ("event", "handler", "process", "fetch"))?;
    m.add_function(wrap_pyfunction!(monotonic_ns, m)?)?;
    m.add_function(wrap_pyfunction!(metric_store::store_pair, m)?)?;
    m.add_function(wrap_pyfunction!(metric_inputs::is_tensor_pair, m)?)?;
    m.add_function(wrap_pyfunction!(metric_inputs::detached_pair, m)?)?;
    m.add_function(wrap_pyfunction!(metric_inputs::on_device, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
