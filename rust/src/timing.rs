//! Timing of a run, recorded by the core itself when profiling is on.
//!
//! Every firing of an event, every handler call, every process-function call and every
//! fetch of a batch becomes a `Span` (start/end on one monotonic clock shared by all
//! engines, so a trainer's and an evaluator's spans line up). Aggregates (count, total,
//! min/max with the index of the call, mean and variance) are kept for every span; the raw
//! spans go to a ring buffer of bounded size that drops the oldest and counts them.
//!
//! When profiling is off the run loop pays one flag check per event, per process call and
//! per fetch.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::time::Instant;

static ORIGIN: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds on the shared monotonic clock (from the first use in this process).
#[inline]
pub fn now_ns() -> u64 {
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

pub const KIND_EVENT: u8 = 0;
pub const KIND_HANDLER: u8 = 1;
pub const KIND_PROCESS: u8 = 2;
pub const KIND_FETCH: u8 = 3;

/// One timed interval. `event` is the event's id (the one being fired, or the one a handler
/// runs for; for process and fetch spans, the id of ITERATION_COMPLETED / GET_BATCH_COMPLETED
/// is not meaningful and is left at u32::MAX); `handler` the handler's id (0 for others).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub kind: u8,
    pub event: u32,
    pub handler: u64,
    pub epoch: i64,
    pub iteration: i64,
    pub start: u64,
    pub end: u64,
}

/// Running statistics of durations, in nanoseconds. Indexes count calls from 0. Sums are
/// exact integers (no division per call): mean and variance are computed when read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub total: u64,
    pub min: u64,
    pub min_index: u64,
    pub max: u64,
    pub max_index: u64,
    /// Sum of squared durations.
    pub squares: u128,
}

impl Stats {
    #[inline]
    pub fn add(&mut self, duration: u64) {
        let index = self.count;
        if index == 0 || duration < self.min {
            self.min = duration;
            self.min_index = index;
        }
        if index == 0 || duration > self.max {
            self.max = duration;
            self.max_index = index;
        }
        self.count += 1;
        self.total = self.total.saturating_add(duration);
        let d = u128::from(duration);
        self.squares = self.squares.saturating_add(d * d);
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.total as f64 / self.count as f64
    }

    /// The sample standard deviation (n - 1), None below two calls.
    pub fn std(&self) -> Option<f64> {
        if self.count < 2 {
            return None;
        }
        let (n, total) = (u128::from(self.count), u128::from(self.total));
        // n * sum(d^2) - (sum d)^2 = n^2 * variance * (n-1)/n, exactly, when it fits.
        let spread = n
            .checked_mul(self.squares)
            .map(|a| a.saturating_sub(total * total) as f64)
            .unwrap_or_else(|| {
                let mean = self.mean();
                (self.squares as f64 - n as f64 * mean * mean).max(0.0) * n as f64
            });
        Some((spread / (n as f64 * (n - 1) as f64)).sqrt())
    }
}

/// Hashes a handler id (already unique and small) with one multiplication: the default
/// SipHash would be a good part of a span's recording cost.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

pub struct Profile {
    pub capacity: usize,
    pub spans: VecDeque<Span>,
    pub dropped: u64,
    /// Per event id: the firings' durations (all handlers of the firing together).
    pub events: Vec<Stats>,
    /// Per handler id: (event id, durations of its calls).
    pub handlers: IdMap<(u32, Stats)>,
    pub process: Stats,
    pub fetch: Stats,
}

pub const DEFAULT_CAPACITY: usize = 1 << 16;

impl Default for Profile {
    fn default() -> Self {
        Profile::new(DEFAULT_CAPACITY)
    }
}

impl Profile {
    pub fn new(capacity: usize) -> Self {
        Profile {
            capacity,
            spans: VecDeque::new(),
            dropped: 0,
            events: Vec::new(),
            handlers: IdMap::default(),
            process: Stats::default(),
            fetch: Stats::default(),
        }
    }

    pub fn record(&mut self, span: Span) {
        let duration = span.end.saturating_sub(span.start);
        match span.kind {
            KIND_EVENT => {
                let e = span.event as usize;
                if self.events.len() <= e {
                    self.events.resize(e + 1, Stats::default());
                }
                self.events[e].add(duration);
            }
            KIND_HANDLER => self
                .handlers
                .entry(span.handler)
                .or_insert((span.event, Stats::default()))
                .1
                .add(duration),
            KIND_PROCESS => self.process.add(duration),
            _ => self.fetch.add(duration),
        }
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        if self.spans.len() >= self.capacity {
            self.spans.pop_front();
            self.dropped += 1;
        }
        self.spans.push_back(span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(kind: u8, start: u64, end: u64) -> Span {
        Span {
            kind,
            event: 2,
            handler: 7,
            epoch: 1,
            iteration: 3,
            start,
            end,
        }
    }

    #[test]
    fn stats_track_extremes_with_their_index_and_the_variance() {
        let mut s = Stats::default();
        for d in [5, 2, 9, 2] {
            s.add(d);
        }
        assert_eq!((s.count, s.total), (4, 18));
        assert_eq!((s.min, s.min_index, s.max, s.max_index), (2, 1, 9, 2));
        assert!((s.mean() - 4.5).abs() < 1e-12);
        // sample variance of [5, 2, 9, 2] is 11
        assert!((s.std().unwrap() - 11f64.sqrt()).abs() < 1e-12);
        let mut one = Stats::default();
        one.add(3);
        assert_eq!(one.std(), None);
    }

    #[test]
    fn the_ring_buffer_drops_the_oldest_and_counts_them() {
        let mut p = Profile::new(2);
        for i in 0..5 {
            p.record(span(KIND_EVENT, i, i + 1));
        }
        assert_eq!(p.dropped, 3);
        assert_eq!(
            p.spans.iter().map(|s| s.start).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert_eq!(p.events[2].count, 5); // aggregates keep everything
    }

    #[test]
    fn spans_are_aggregated_by_kind() {
        let mut p = Profile::new(0);
        p.record(span(KIND_HANDLER, 0, 10));
        p.record(span(KIND_HANDLER, 10, 30));
        p.record(span(KIND_PROCESS, 0, 4));
        p.record(span(KIND_FETCH, 0, 6));
        assert_eq!(
            p.handlers[&7],
            (2, {
                let mut s = Stats::default();
                s.add(10);
                s.add(20);
                s
            })
        );
        assert_eq!((p.process.total, p.fetch.total), (4, 6));
        assert!(p.spans.is_empty() && p.dropped == 4);
    }

    #[test]
    fn the_clock_is_monotonic() {
        let a = now_ns();
        let b = now_ns();
        assert!(b >= a);
    }
}
