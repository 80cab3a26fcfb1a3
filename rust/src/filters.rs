//! Event filters: which firings of an event a handler sees.
//!
//! `every`, `once`, `before` and `after` are integer checks on the event's counter
//! (the iteration or epoch the core already holds), so they never call into Python.
//! A user's `event_filter` callable is the only kind that does.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;

/// A filter that the core evaluates natively.
///
/// Arguments are Python ints of any size. They are stored saturated at `u128::MAX` and the
/// counts they are compared with are at most 128 bits, which keeps every answer exact: a
/// bound at or above `u128::MAX` lies beyond every count, exactly like the real value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativeFilter {
    /// Fires when `count % every == 0`.
    Every(u128),
    /// Fires when `count` is one of the listed values (kept sorted).
    Once(Box<[u128]>),
    /// Fires when `after < count < before` and, counted from `after + 1`, on every `every`-th.
    Range {
        every: u128,
        before: Option<u128>,
        after: u128,
    },
}

/// Whether `n` is a multiple of `every` (Python's `n % every == 0`), with a 64-bit fast path.
#[inline]
fn is_multiple(n: i128, every: u128) -> bool {
    if let (Ok(n), Ok(every)) = (i64::try_from(n), i64::try_from(every)) {
        return n.rem_euclid(every) == 0;
    }
    match i128::try_from(every) {
        Ok(every) => n.rem_euclid(every) == 0,
        // |n| < 2**127 <= every: only 0 is a multiple.
        Err(_) => n == 0,
    }
}

impl NativeFilter {
    /// Builds a filter from the arguments of `Events.X(every=, once=, before=, after=)`,
    /// which the Python facade has already validated.
    pub fn from_args(
        every: Option<u128>,
        once: Option<Vec<u128>>,
        before: Option<u128>,
        after: Option<u128>,
    ) -> Result<Option<Self>, String> {
        if every == Some(0) {
            return Err("every must be a positive integer".into());
        }
        if let Some(mut values) = once {
            if every.is_some() || before.is_some() || after.is_some() {
                return Err("once cannot be combined with every, before or after".into());
            }
            if values.is_empty() || values.contains(&0) {
                return Err("once must be a positive integer or a non-empty list of them".into());
            }
            values.sort_unstable();
            values.dedup();
            return Ok(Some(NativeFilter::Once(values.into_boxed_slice())));
        }
        Ok(match (every, before, after) {
            (None, None, None) | (Some(1), None, None) => None,
            (Some(n), None, None) => Some(NativeFilter::Every(n)),
            (every, before, after) => Some(NativeFilter::Range {
                every: every.unwrap_or(1),
                before,
                after: after.unwrap_or(0),
            }),
        })
    }

    /// Whether a handler with this filter runs when the event's counter is `count`.
    #[inline]
    pub fn fires(&self, count: i128) -> bool {
        match self {
            NativeFilter::Every(every) => is_multiple(count, *every),
            NativeFilter::Once(values) => {
                count > 0 && values.binary_search(&(count as u128)).is_ok()
            }
            NativeFilter::Range {
                every,
                before,
                after,
            } => {
                // count > after >= 0, so the comparisons below are between non-negatives.
                if count <= 0 || count as u128 <= *after {
                    return false;
                }
                let count = count as u128;
                before.is_none_or(|b| count < b) && (count - after - 1) % every == 0
            }
        }
    }

    /// The smallest count above `count` at which this filter fires, if any below
    /// `i64::MAX`. Lets the run loop skip an event's dispatch entirely until then.
    pub fn next_firing_after(&self, count: i64) -> Option<i64> {
        let next: Option<i128> = match self {
            NativeFilter::Every(every) => {
                let count = i128::from(count);
                i128::try_from(*every)
                    .ok()
                    .map(|every| (count.div_euclid(every) + 1) * every)
            }
            NativeFilter::Once(values) => {
                let floor = count.max(0) as u128;
                let index = values.partition_point(|&v| v <= floor);
                values.get(index).and_then(|&v| i128::try_from(v).ok())
            }
            NativeFilter::Range {
                every,
                before,
                after,
            } => {
                // i64 counts and saturated u128 arguments: compute in u128 from 0 upwards.
                let first = after.saturating_add(1);
                let from = count.max(0) as u128;
                let next = if from < first {
                    Some(first)
                } else {
                    ((from - first) / every)
                        .checked_add(1)
                        .and_then(|k| k.checked_mul(*every))
                        .and_then(|step| first.checked_add(step))
                };
                match (next, before) {
                    (Some(n), Some(b)) if n >= *b => None,
                    (n, _) => n.and_then(|n| i128::try_from(n).ok()),
                }
            }
        };
        next.and_then(|n| i64::try_from(n).ok())
    }
}

/// A non-negative Python int of any size, saturated at `u128::MAX`; a negative one, or a
/// non-int, is refused with a ValueError naming `name`.
pub(crate) fn saturating_u128(name: &str, value: &Bound<'_, PyAny>) -> PyResult<u128> {
    match value.extract::<u128>() {
        Ok(v) => Ok(v),
        Err(err) if err.is_instance_of::<PyOverflowError>(value.py()) && value.gt(0)? => {
            Ok(u128::MAX)
        }
        Err(_) => Err(PyValueError::new_err(format!(
            "Argument {name} should be a non-negative integer, got {}",
            value.repr()?
        ))),
    }
}

fn optional_u128(name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u128>> {
    value.map(|v| saturating_u128(name, v)).transpose()
}

/// A Python int as an i128, or a ValueError naming `name` (a count beyond 128 bits).
pub(crate) fn count_i128(name: &str, value: &Bound<'_, PyAny>) -> PyResult<i128> {
    value.extract::<i128>().map_err(|err| {
        if err.is_instance_of::<PyOverflowError>(value.py()) {
            PyValueError::new_err(format!(
                "{name} is too large for an event filter (at most 128 bits), got {value}"
            ))
        } else {
            err
        }
    })
}

/// The filter of an event such as `Events.ITERATION_COMPLETED(every=100)`.
///
/// Calling it as `event_filter(engine, count)` gives the same answer the core uses, so code
/// written for ignite that calls `event.filter(engine, n)` keeps working.
#[pyclass(module = "oxignite._core", frozen, name = "EventFilter")]
pub struct EventFilter {
    pub(crate) filter: NativeFilter,
    /// The arguments as given (Python's own spelling of big ints), for `repr`.
    repr: String,
}

impl EventFilter {
    #[cfg(test)]
    pub(crate) fn from_native(filter: NativeFilter) -> Self {
        let repr = format!("{filter:?}");
        EventFilter { filter, repr }
    }
}

#[pymethods]
impl EventFilter {
    #[new]
    #[pyo3(signature = (*, every=None, once=None, before=None, after=None))]
    fn py_new(
        every: Option<Bound<'_, PyAny>>,
        once: Option<Vec<Bound<'_, PyAny>>>,
        before: Option<Bound<'_, PyAny>>,
        after: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let once_values = once
            .as_ref()
            .map(|values| {
                values
                    .iter()
                    .map(|v| saturating_u128("once", v))
                    .collect::<PyResult<Vec<_>>>()
            })
            .transpose()?;
        let built = NativeFilter::from_args(
            optional_u128("every", every.as_ref())?,
            once_values,
            optional_u128("before", before.as_ref())?,
            optional_u128("after", after.as_ref())?,
        );
        let text = |v: &Option<Bound<'_, PyAny>>| -> PyResult<String> {
            Ok(match v {
                Some(v) => v.str()?.to_string(),
                None => "None".to_string(),
            })
        };
        let filter = match built {
            Ok(Some(filter)) => filter,
            Ok(None) => {
                return Err(PyValueError::new_err(
                    "this filter lets every event through; use the event without a filter",
                ))
            }
            Err(msg) => return Err(PyValueError::new_err(msg)),
        };
        let repr = match &filter {
            NativeFilter::Every(_) => format!("EventFilter(every={})", text(&every)?),
            NativeFilter::Once(_) => {
                // Sorted and deduplicated like the filter, in Python's spelling.
                let mut shown = Vec::new();
                for v in once.iter().flatten() {
                    shown.push((saturating_u128("once", v)?, v.str()?.to_string()));
                }
                shown.sort();
                shown.dedup();
                let shown: Vec<String> = shown.into_iter().map(|(_, s)| s).collect();
                format!("EventFilter(once=[{}])", shown.join(", "))
            }
            NativeFilter::Range { .. } => {
                let or = |v: &Option<Bound<'_, PyAny>>, default: &str| -> PyResult<String> {
                    v.as_ref()
                        .map_or(Ok(default.to_string()), |v| Ok(v.str()?.to_string()))
                };
                format!(
                    "EventFilter(every={}, before={}, after={})",
                    or(&every, "1")?,
                    text(&before)?,
                    or(&after, "0")?
                )
            }
        };
        Ok(EventFilter { filter, repr })
    }

    fn __call__(&self, _engine: &Bound<'_, PyAny>, event: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.filter.fires(count_i128("event", event)?))
    }

    fn __repr__(&self) -> String {
        self.repr.clone()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn fired(filter: &NativeFilter, upto: i128) -> Vec<i128> {
        (1..=upto).filter(|&n| filter.fires(n)).collect()
    }

    fn build(
        every: Option<u128>,
        once: Option<Vec<u128>>,
        before: Option<u128>,
        after: Option<u128>,
    ) -> NativeFilter {
        NativeFilter::from_args(every, once, before, after)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn every_fires_on_multiples() {
        assert_eq!(fired(&build(Some(3), None, None, None), 10), vec![3, 6, 9]);
    }

    #[test]
    fn every_one_without_bounds_is_no_filter() {
        assert_eq!(NativeFilter::from_args(Some(1), None, None, None), Ok(None));
        assert_eq!(NativeFilter::from_args(None, None, None, None), Ok(None));
    }

    #[test]
    fn once_fires_on_listed_values_only() {
        let f = build(None, Some(vec![7, 2, 2]), None, None);
        assert_eq!(f, NativeFilter::Once(vec![2, 7].into_boxed_slice()));
        assert_eq!(fired(&f, 10), vec![2, 7]);
        assert!(!f.fires(0));
        assert!(!f.fires(-2));
    }

    #[test]
    fn before_and_after_are_exclusive_bounds() {
        assert_eq!(fired(&build(None, None, Some(5), Some(2)), 10), vec![3, 4]);
        assert_eq!(fired(&build(None, None, None, Some(7)), 10), vec![8, 9, 10]);
        assert_eq!(fired(&build(None, None, Some(3), None), 10), vec![1, 2]);
    }

    #[test]
    fn every_with_bounds_counts_from_after() {
        // ignite: after < n < before and (n - after - 1) % every == 0
        assert_eq!(
            fired(&build(Some(3), None, Some(20), Some(4)), 30),
            vec![5, 8, 11, 14, 17]
        );
    }

    #[test]
    fn next_firing_after_is_the_first_later_firing() {
        let filters = [
            build(Some(3), None, None, None),
            build(Some(7), None, None, None),
            build(None, Some(vec![4, 9, 25]), None, None),
            build(None, None, Some(12), Some(3)),
            build(Some(4), None, Some(30), Some(5)),
            build(Some(2), None, None, Some(6)),
            build(None, None, Some(1), None),
        ];
        for filter in &filters {
            for count in -3..60 {
                let expected = (count + 1..=200).find(|&m| filter.fires(m.into()));
                assert_eq!(
                    filter.next_firing_after(count),
                    expected,
                    "{filter:?} at {count}"
                );
            }
        }
    }

    #[test]
    fn arguments_beyond_64_bits_are_not_wrapped() {
        let big = 1u128 << 63;
        let huge = u128::MAX; // 2**128 and above saturate here
        let count_max = i128::from(i64::MAX);
        for before in [big, big + 5, huge] {
            let f = build(None, None, Some(before), None);
            assert_eq!(fired(&f, 5), vec![1, 2, 3, 4, 5]);
            assert!(f.fires(count_max));
            assert_eq!(f.next_firing_after(7), Some(8));
        }
        for after in [big, huge] {
            let f = build(None, None, None, Some(after));
            assert!(fired(&f, 50).is_empty() && !f.fires(count_max));
            assert_eq!(f.next_firing_after(7), None);
        }
        for every in [big, big + 1, huge] {
            let f = build(Some(every), None, None, None);
            assert!(fired(&f, 50).is_empty() && f.fires(0) && !f.fires(count_max));
            assert_eq!(f.next_firing_after(7), None);
            let f = build(Some(every), None, Some(huge), Some(2));
            assert_eq!(fired(&f, 50), vec![3]);
        }
        let f = build(None, Some(vec![huge, big, 4]), None, None);
        assert_eq!(fired(&f, 10), vec![4]);
        assert!(f.fires(big as i128) && !f.fires(count_max));
        assert_eq!(f.next_firing_after(4), None);
        // Counts beyond 64 bits (a custom counter, or `event.filter(engine, n)`).
        let f = build(Some(3), None, None, None);
        assert!(f.fires(3 << 70) && !f.fires((3 << 70) + 1));
    }

    #[test]
    fn invalid_arguments_are_refused() {
        assert!(NativeFilter::from_args(Some(0), None, None, None).is_err());
        assert!(NativeFilter::from_args(None, Some(vec![]), None, None).is_err());
        assert!(NativeFilter::from_args(None, Some(vec![0]), None, None).is_err());
        assert!(NativeFilter::from_args(Some(2), Some(vec![1]), None, None).is_err());
    }
}
