//! The built-in events, registered by every `EngineCore` in this order, so the run loop
//! can address them by constant id. The Python `Events` enum is built from this table.

pub const EPOCH_STARTED: usize = 0;
pub const EPOCH_COMPLETED: usize = 1;
pub const STARTED: usize = 2;
pub const COMPLETED: usize = 3;
pub const ITERATION_STARTED: usize = 4;
pub const ITERATION_COMPLETED: usize = 5;
pub const EXCEPTION_RAISED: usize = 6;
pub const GET_BATCH_STARTED: usize = 7;
pub const GET_BATCH_COMPLETED: usize = 8;
pub const DATALOADER_STOP_ITERATION: usize = 9;
pub const TERMINATE: usize = 10;
pub const TERMINATE_SINGLE_EPOCH: usize = 11;
pub const INTERRUPT: usize = 12;

/// (name, value, State attribute its filters count, if any), indexed by id.
pub const BUILTIN_EVENTS: [(&str, &str, Option<&str>); 13] = [
    ("EPOCH_STARTED", "epoch_started", Some("epoch")),
    ("EPOCH_COMPLETED", "epoch_completed", Some("epoch")),
    ("STARTED", "started", Some("epoch")),
    ("COMPLETED", "completed", Some("epoch")),
    ("ITERATION_STARTED", "iteration_started", Some("iteration")),
    (
        "ITERATION_COMPLETED",
        "iteration_completed",
        Some("iteration"),
    ),
    ("EXCEPTION_RAISED", "exception_raised", None),
    ("GET_BATCH_STARTED", "get_batch_started", Some("iteration")),
    (
        "GET_BATCH_COMPLETED",
        "get_batch_completed",
        Some("iteration"),
    ),
    (
        "DATALOADER_STOP_ITERATION",
        "dataloader_stop_iteration",
        None,
    ),
    ("TERMINATE", "terminate", None),
    ("TERMINATE_SINGLE_EPOCH", "terminate_single_epoch", None),
    ("INTERRUPT", "interrupt", None),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_table_positions() {
        let ids = [
            (EPOCH_STARTED, "EPOCH_STARTED"),
            (EPOCH_COMPLETED, "EPOCH_COMPLETED"),
            (STARTED, "STARTED"),
            (COMPLETED, "COMPLETED"),
            (ITERATION_STARTED, "ITERATION_STARTED"),
            (ITERATION_COMPLETED, "ITERATION_COMPLETED"),
            (EXCEPTION_RAISED, "EXCEPTION_RAISED"),
            (GET_BATCH_STARTED, "GET_BATCH_STARTED"),
            (GET_BATCH_COMPLETED, "GET_BATCH_COMPLETED"),
            (DATALOADER_STOP_ITERATION, "DATALOADER_STOP_ITERATION"),
            (TERMINATE, "TERMINATE"),
            (TERMINATE_SINGLE_EPOCH, "TERMINATE_SINGLE_EPOCH"),
            (INTERRUPT, "INTERRUPT"),
        ];
        for (id, name) in ids {
            assert_eq!(BUILTIN_EVENTS[id].0, name);
        }
    }

    #[test]
    fn values_are_lowercase_names() {
        for (name, value, _) in BUILTIN_EVENTS {
            assert_eq!(name.to_lowercase(), value);
        }
    }
}
