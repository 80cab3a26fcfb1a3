//! Event filters: which firings of an event a handler sees.
//!
//! `every`, `once`, `before` and `after` are integer checks on the event's counter
//! (the iteration or epoch the core already holds), so they never call into Python.
//! A user's `event_filter` callable is the only kind that does.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A filter that the core evaluates natively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NativeFilter {
    /// Fires when `count % every == 0`.
    Every(u64),
    /// Fires when `count` is one of the listed values (kept sorted).
    Once(Box<[u64]>),
    /// Fires when `after < count < before` and, counted from `after + 1`, on every `every`-th.
    Range {
        every: u64,
        before: Option<u64>,
        after: u64,
    },
}

impl NativeFilter {
    /// Builds a filter from the arguments of `Events.X(every=, once=, before=, after=)`,
    /// which the Python facade has already validated.
    pub fn from_args(
        every: Option<u64>,
        once: Option<Vec<u64>>,
        before: Option<u64>,
        after: Option<u64>,
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
    pub fn fires(&self, count: i64) -> bool {
        match self {
            NativeFilter::Every(every) => count.rem_euclid(*every as i64) == 0,
            NativeFilter::Once(values) => {
                count > 0 && values.binary_search(&(count as u64)).is_ok()
            }
            NativeFilter::Range {
                every,
                before,
                after,
            } => {
                let after = *after as i64;
                let below_before = before.is_none_or(|b| count < b as i64);
                count > after && below_before && (count - after - 1).rem_euclid(*every as i64) == 0
            }
        }
    }

    /// The smallest count above `count` at which this filter fires, if any. Lets the run
    /// loop skip an event's dispatch entirely until then.
    pub fn next_firing_after(&self, count: i64) -> Option<i64> {
        match self {
            NativeFilter::Every(every) => {
                let every = *every as i64;
                Some((count.div_euclid(every) + 1) * every)
            }
            NativeFilter::Once(values) => {
                let floor = count.max(0) as u64;
                let index = values.partition_point(|&v| v <= floor);
                values.get(index).map(|&v| v as i64)
            }
            NativeFilter::Range {
                every,
                before,
                after,
            } => {
                let (every, after) = (*every as i64, *after as i64);
                let first = after + 1;
                let next = if count < first {
                    first
                } else {
                    first + ((count - first).div_euclid(every) + 1) * every
                };
                match before {
                    Some(b) if next >= *b as i64 => None,
                    _ => Some(next),
                }
            }
        }
    }
}

/// The filter of an event such as `Events.ITERATION_COMPLETED(every=100)`.
///
/// Calling it as `event_filter(engine, count)` gives the same answer the core uses, so code
/// written for ignite that calls `event.filter(engine, n)` keeps working.
#[pyclass(module = "oxignite._core", frozen, name = "EventFilter")]
pub struct EventFilter {
    pub(crate) filter: NativeFilter,
}

#[pymethods]
impl EventFilter {
    #[new]
    #[pyo3(signature = (*, every=None, once=None, before=None, after=None))]
    fn py_new(
        every: Option<u64>,
        once: Option<Vec<u64>>,
        before: Option<u64>,
        after: Option<u64>,
    ) -> PyResult<Self> {
        match NativeFilter::from_args(every, once, before, after) {
            Ok(Some(filter)) => Ok(EventFilter { filter }),
            Ok(None) => Err(PyValueError::new_err(
                "this filter lets every event through; use the event without a filter",
            )),
            Err(msg) => Err(PyValueError::new_err(msg)),
        }
    }

    fn __call__(&self, _engine: &Bound<'_, PyAny>, event: i64) -> bool {
        self.filter.fires(event)
    }

    fn __repr__(&self) -> String {
        match &self.filter {
            NativeFilter::Every(n) => format!("EventFilter(every={n})"),
            NativeFilter::Once(values) => format!("EventFilter(once={values:?})"),
            NativeFilter::Range {
                every,
                before,
                after,
            } => {
                let before = before.map_or("None".to_string(), |b| b.to_string());
                format!("EventFilter(every={every}, before={before}, after={after})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(filter: &NativeFilter, upto: i64) -> Vec<i64> {
        (1..=upto).filter(|&n| filter.fires(n)).collect()
    }

    fn build(
        every: Option<u64>,
        once: Option<Vec<u64>>,
        before: Option<u64>,
        after: Option<u64>,
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
                let expected = (count + 1..=200).find(|&m| filter.fires(m));
                assert_eq!(
                    filter.next_firing_after(count),
                    expected,
                    "{filter:?} at {count}"
                );
            }
        }
    }

    #[test]
    fn invalid_arguments_are_refused() {
        assert!(NativeFilter::from_args(Some(0), None, None, None).is_err());
        assert!(NativeFilter::from_args(None, Some(vec![]), None, None).is_err());
        assert!(NativeFilter::from_args(None, Some(vec![0]), None, None).is_err());
        assert!(NativeFilter::from_args(Some(2), Some(vec![1]), None, None).is_err());
    }
}
