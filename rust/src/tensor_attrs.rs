//! A `torch.Tensor`'s attributes, read without the attribute lookup.
//!
//! Reading `x.requires_grad` from C costs ~400 instructions: ~160 for CPython's lookup
//! (`PyObject_GetAttr`, the type's MRO, the descriptor's checks) and ~240 for torch's getter
//! itself. For an object whose type is exactly `torch.Tensor`, that lookup always ends at the
//! same getset descriptor, so calling its getter directly gives the same object: torch's own
//! checks (torch-function modes, error translation) run inside the getter. Anything else is
//! not an [`ExactTensor`], and keeps the plain lookup.

use std::ffi::c_void;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The attributes read directly, in the order of [`NAMES`].
#[derive(Clone, Copy)]
enum Attr {
    RequiresGrad,
    IsCpu,
    Dtype,
    Ndim,
    Shape,
}

const NAMES: [&str; 5] = ["requires_grad", "is_cpu", "dtype", "ndim", "shape"];

/// One getset descriptor's C getter and its closure.
#[derive(Clone, Copy)]
struct Getter {
    get: ffi::getter,
    closure: *mut c_void,
}

/// `torch.Tensor` and the getters of [`NAMES`] (`None` where the lookup does not end at a
/// getset descriptor: then the attribute is read the plain way).
pub struct TensorAttrs {
    tensor_type: Py<PyType>,
    // `torch.device("cpu")`, compared with (reading a device's `type` builds a string).
    cpu: Py<PyAny>,
    getters: [Option<Getter>; NAMES.len()],
    // The descriptors own the getters' closures: kept alive with them.
    _descriptors: Vec<Py<PyAny>>,
}

// SAFETY: the raw pointers are a getset table's entries, which live (unchanged) as long as
// their descriptors, held here; they are only used with the GIL held.
unsafe impl Send for TensorAttrs {}
unsafe impl Sync for TensorAttrs {}

static TENSOR_ATTRS: PyOnceLock<TensorAttrs> = PyOnceLock::new();

impl TensorAttrs {
    /// Looked up on first use (this crate never imports torch itself: its callers already
    /// have, or the import fails here with torch's own error).
    pub fn get(py: Python<'_>) -> PyResult<&'static TensorAttrs> {
        TENSOR_ATTRS.get_or_try_init(py, || TensorAttrs::load(py))
    }

    fn load(py: Python<'_>) -> PyResult<TensorAttrs> {
        let torch = py.import("torch")?;
        let cpu = torch.getattr("device")?.call1(("cpu",))?.unbind();
        let tensor_type = torch
            .getattr("Tensor")?
            .cast_into::<PyType>()
            .map_err(|_| PyTypeError::new_err("torch.Tensor is not a type"))?;
        let mut getters = [None; NAMES.len()];
        let mut descriptors = Vec::with_capacity(NAMES.len());
        for (getter, name) in getters.iter_mut().zip(NAMES) {
            // On a type, a getset descriptor's lookup returns the descriptor itself.
            let descriptor = tensor_type.getattr(name)?;
            // SAFETY: the type check makes the cast to PyGetSetDescrObject valid.
            unsafe {
                if ffi::Py_TYPE(descriptor.as_ptr()) == &raw mut ffi::PyGetSetDescr_Type {
                    let def = (*descriptor.as_ptr().cast::<ffi::PyGetSetDescrObject>()).d_getset;
                    *getter = (*def).get.map(|get| Getter {
                        get,
                        closure: (*def).closure,
                    });
                }
            }
            descriptors.push(descriptor.unbind());
        }
        Ok(TensorAttrs {
            tensor_type: tensor_type.unbind(),
            cpu,
            getters,
            _descriptors: descriptors,
        })
    }

    /// Whether `device` equals `torch.device("cpu")` (`cpu:0` does not: `to` copies to it).
    pub fn is_cpu_device(&self, device: &Bound<'_, PyAny>) -> PyResult<bool> {
        let cpu = self.cpu.bind(device.py());
        Ok(device.is(cpu) || device.eq(cpu)?)
    }

    /// `isinstance(x, torch.Tensor)`, without the metaclass's lookup for exact tensors.
    pub fn is_tensor(&self, x: &Bound<'_, PyAny>) -> PyResult<bool> {
        // SAFETY: comparing type pointers only.
        let exact = unsafe { ffi::Py_TYPE(x.as_ptr()) == self.tensor_type.as_ptr().cast() };
        if exact {
            return Ok(true);
        }
        x.is_instance(self.tensor_type.bind(x.py()))
    }

    /// `x` as a tensor whose attributes can be read directly, when its type is exactly
    /// `torch.Tensor` (a subclass may override any attribute, or intercept it).
    pub fn exact<'a, 'py>(&'static self, x: &'a Bound<'py, PyAny>) -> Option<ExactTensor<'a, 'py>> {
        // SAFETY: comparing type pointers only.
        let exact = unsafe { ffi::Py_TYPE(x.as_ptr()) == self.tensor_type.as_ptr().cast() };
        exact.then_some(ExactTensor { x, attrs: self })
    }
}

/// An object whose type is exactly `torch.Tensor`.
pub struct ExactTensor<'a, 'py> {
    x: &'a Bound<'py, PyAny>,
    attrs: &'static TensorAttrs,
}

impl<'py> ExactTensor<'_, 'py> {
    fn read(&self, attr: Attr) -> PyResult<Bound<'py, PyAny>> {
        let py = self.x.py();
        match self.attrs.getters[attr as usize] {
            // SAFETY: the getter belongs to a descriptor of a base of `x`'s exact type (the
            // check CPython's lookup makes before calling it); it returns a new reference,
            // or NULL with an exception set.
            Some(g) => unsafe {
                Bound::from_owned_ptr_or_err(py, (g.get)(self.x.as_ptr(), g.closure))
            },
            None => self.x.getattr(NAMES[attr as usize]),
        }
    }

    pub fn requires_grad(&self) -> PyResult<bool> {
        self.read(Attr::RequiresGrad)?.is_truthy()
    }

    pub fn is_cpu(&self) -> PyResult<bool> {
        self.read(Attr::IsCpu)?.is_truthy()
    }

    /// The `torch.dtype` (a singleton per dtype: compare with `is`).
    pub fn dtype(&self) -> PyResult<Bound<'py, PyAny>> {
        self.read(Attr::Dtype)
    }

    pub fn ndim(&self) -> PyResult<i64> {
        self.read(Attr::Ndim)?.extract()
    }

    /// The `torch.Size`.
    pub fn shape(&self) -> PyResult<Bound<'py, PyAny>> {
        self.read(Attr::Shape)
    }
}
