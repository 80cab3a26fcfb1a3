//! The clocks of Python's `time.perf_counter` and `time.time`, read natively.
//!
//! Native readings are mixed with Python's (Timer's `t0` may come from either side; the
//! progress bar's gate compares tqdm's `time.time` deadlines with this module's wall clock),
//! so each function reads the very clock CPython 3.10-3.14 reads on that OS (`Python/pytime.c`)
//! and converts it the same way: integer nanoseconds, then seconds as `t / 1e9`.
//!
//! | OS      | `perf_counter`                          | `time`                              |
//! |---------|-----------------------------------------|-------------------------------------|
//! | Linux   | `clock_gettime(CLOCK_MONOTONIC)`        | `clock_gettime(CLOCK_REALTIME)`     |
//! | macOS   | `mach_absolute_time()` x timebase       | `clock_gettime(CLOCK_REALTIME)`     |
//! | Windows | `QueryPerformanceCounter()` / frequency | `GetSystemTimeAsFileTime()`, or the |
//! |         |                                         | `...Precise...` one from 3.13 on    |

/// Seconds on the clock of Python's `time.perf_counter`.
pub fn perf_counter() -> f64 {
    seconds(os::perf_counter_ns())
}

/// Seconds on the clock of Python's `time.time` (tqdm's default clock).
pub fn wall_time() -> f64 {
    seconds(os::wall_time_ns())
}

/// CPython's `_PyTime_AsSecondsDouble`: the same double for the same nanoseconds.
fn seconds(ns: i64) -> f64 {
    const NS: i64 = 1_000_000_000;
    if ns % NS == 0 {
        (ns / NS) as f64
    } else {
        ns as f64 / 1e9
    }
}

/// `ticks * numer / denom` rounded down, as CPython scales raw ticks to nanoseconds.
#[cfg(any(windows, target_vendor = "apple"))]
fn scale(ticks: i64, numer: i64, denom: i64) -> i64 {
    (ticks as i128 * numer as i128 / denom as i128) as i64
}

#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // time_t and c_long are 32-bit on some targets
fn clock_gettime_ns(clock: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and `clock` a clock every supported OS has.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

#[cfg(all(unix, not(target_vendor = "apple")))]
mod os {
    pub fn perf_counter_ns() -> i64 {
        super::clock_gettime_ns(libc::CLOCK_MONOTONIC)
    }

    pub fn wall_time_ns() -> i64 {
        super::clock_gettime_ns(libc::CLOCK_REALTIME)
    }
}

#[cfg(target_vendor = "apple")]
mod os {
    use std::sync::OnceLock;

    /// `mach_timebase_info_data_t` (<mach/mach_time.h>).
    #[repr(C)]
    struct Timebase {
        numer: u32,
        denom: u32,
    }

    // libSystem's; declared here because the libc crate deprecates its copies.
    extern "C" {
        fn mach_absolute_time() -> u64;
        fn mach_timebase_info(info: *mut Timebase) -> i32;
    }

    pub fn perf_counter_ns() -> i64 {
        static BASE: OnceLock<(i64, i64)> = OnceLock::new();
        let &(numer, denom) = BASE.get_or_init(|| {
            let mut base = Timebase { numer: 1, denom: 1 };
            // SAFETY: `base` is a valid, writable timebase; the call cannot fail (QA1398).
            unsafe { mach_timebase_info(&mut base) };
            (base.numer as i64, base.denom.max(1) as i64)
        });
        // SAFETY: no arguments, no failure.
        let ticks = unsafe { mach_absolute_time() } as i64;
        super::scale(ticks, numer, denom)
    }

    pub fn wall_time_ns() -> i64 {
        super::clock_gettime_ns(libc::CLOCK_REALTIME)
    }
}

#[cfg(windows)]
mod os {
    use std::sync::OnceLock;

    use pyo3::Python;

    /// `FILETIME`: 100 ns intervals since 1601-01-01 (UTC).
    #[repr(C)]
    struct FileTime {
        low: u32,
        high: u32,
    }

    #[link(name = "kernel32")]
    extern "system" {
        fn QueryPerformanceCounter(count: *mut i64) -> i32;
        fn QueryPerformanceFrequency(frequency: *mut i64) -> i32;
        fn GetSystemTimeAsFileTime(time: *mut FileTime);
        fn GetSystemTimePreciseAsFileTime(time: *mut FileTime);
    }

    pub fn perf_counter_ns() -> i64 {
        static FREQUENCY: OnceLock<i64> = OnceLock::new();
        let &frequency = FREQUENCY.get_or_init(|| {
            let mut f = 0i64;
            // SAFETY: `f` is valid and writable; the call cannot fail since Windows XP.
            unsafe { QueryPerformanceFrequency(&mut f) };
            f.max(1)
        });
        let mut ticks = 0i64;
        // SAFETY: as above.
        unsafe { QueryPerformanceCounter(&mut ticks) };
        super::scale(ticks, 1_000_000_000, frequency)
    }

    pub fn wall_time_ns() -> i64 {
        // time.time() reads the precise clock from CPython 3.13 on (gh-88494), the 15.6 ms
        // one before: a finer clock here would run ahead of tqdm's deadlines on 3.10-3.12.
        static PRECISE: OnceLock<bool> = OnceLock::new();
        let precise = *PRECISE.get_or_init(|| Python::attach(|py| py.version_info() >= (3, 13)));
        let mut t = FileTime { low: 0, high: 0 };
        // SAFETY: `t` is a valid, writable FILETIME; neither call can fail.
        unsafe {
            if precise {
                GetSystemTimePreciseAsFileTime(&mut t)
            } else {
                GetSystemTimeAsFileTime(&mut t)
            }
        };
        let hundreds = (t.high as u64) << 32 | t.low as u64;
        // 1601-01-01 to 1970-01-01 in nanoseconds; unsigned arithmetic, as CPython's.
        hundreds
            .wrapping_mul(100)
            .wrapping_sub(11_644_473_600_000_000_000) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyo3::prelude::*;

    /// Reads Python's `time.<name>()`, `native()`, then Python's again, back to back.
    fn between(py: Python<'_>, name: &str, native: fn() -> f64) -> (f64, f64, f64) {
        let time = py.import("time").unwrap();
        let read = || time.call_method0(name).unwrap().extract::<f64>().unwrap();
        let before = read();
        let ours = native();
        let after = read();
        (before, ours, after)
    }

    #[test]
    fn perf_counter_is_pythons_clock() {
        Python::attach(|py| {
            // One clock: every native reading falls between Python's readings around it.
            for _ in 0..1000 {
                let (before, ours, after) = between(py, "perf_counter", perf_counter);
                assert!(before <= ours && ours <= after, "{before} {ours} {after}");
            }
        });
    }

    #[test]
    fn wall_time_is_pythons_clock() {
        Python::attach(|py| {
            // The system clock may be stepped between two readings: allow for a rare one.
            let outside = (0..1000)
                .filter(|_| {
                    let (before, ours, after) = between(py, "time", wall_time);
                    !(before <= ours && ours <= after)
                })
                .count();
            assert!(
                outside <= 1,
                "{outside} of 1000 native readings outside Python's"
            );
        });
    }

    #[test]
    fn seconds_rounds_as_cpython() {
        assert_eq!(seconds(3_000_000_000), 3.0);
        assert_eq!(seconds(1_500_000_000), 1.5);
        assert_eq!(seconds(-1), -1e-9);
    }

    #[cfg(any(windows, target_vendor = "apple"))]
    #[test]
    fn scale_rounds_down_without_overflow() {
        assert_eq!(scale(10, 125, 3), 416);
        assert_eq!(
            scale(i64::MAX / 2, 1_000_000_000, 1_000_000_000),
            i64::MAX / 2
        );
    }
}
