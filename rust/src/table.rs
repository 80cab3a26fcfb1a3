//! Per-event handler lists with snapshot semantics.
//!
//! Each event's handlers live in an immutable `Arc<[Arc<H>]>`. A dispatch clones that Arc
//! (one atomic increment) and walks it; adding or removing a handler builds a new slice and
//! swaps it in. So a handler may change any event's handlers while it is being dispatched:
//! the dispatch in progress keeps walking the list it started with, and the change is seen
//! by the next firing. (Removal additionally marks the handler dead, see `dispatch.rs`.)

use std::sync::Arc;

/// The handlers of one event, in registration order.
pub type Snapshot<H> = Arc<[Arc<H>]>;

pub struct HandlerTable<H> {
    slots: Vec<Snapshot<H>>,
}

impl<H> Default for HandlerTable<H> {
    fn default() -> Self {
        HandlerTable { slots: Vec::new() }
    }
}

impl<H> HandlerTable<H> {
    /// Adds an event with no handlers and returns its index.
    pub fn add_event(&mut self) -> usize {
        self.slots.push(Arc::from(Vec::new()));
        self.slots.len() - 1
    }

    pub fn event_count(&self) -> usize {
        self.slots.len()
    }

    pub fn contains_event(&self, event: usize) -> bool {
        event < self.slots.len()
    }

    /// The current handlers of `event` (cheap: clones an Arc).
    pub fn snapshot(&self, event: usize) -> Snapshot<H> {
        Arc::clone(&self.slots[event])
    }

    /// Appends a handler. Returns the replaced list so the caller can drop it after
    /// releasing any lock (dropping may run arbitrary Python finalizers).
    pub fn push(&mut self, event: usize, handler: Arc<H>) -> Snapshot<H> {
        let mut handlers: Vec<Arc<H>> = self.slots[event].iter().cloned().collect();
        handlers.push(handler);
        std::mem::replace(&mut self.slots[event], Arc::from(handlers))
    }

    /// Replaces the whole list of `event`; returns the old one (to be dropped by the caller
    /// outside any lock).
    pub fn replace(&mut self, event: usize, handlers: Vec<Arc<H>>) -> Snapshot<H> {
        std::mem::replace(&mut self.slots[event], Arc::from(handlers))
    }

    /// Keeps only the handlers for which `keep` is true; returns the removed handlers and
    /// the replaced list (both to be dropped by the caller outside any lock).
    pub fn retain(
        &mut self,
        event: usize,
        mut keep: impl FnMut(&H) -> bool,
    ) -> (Vec<Arc<H>>, Snapshot<H>) {
        let (kept, removed): (Vec<Arc<H>>, Vec<Arc<H>>) =
            self.slots[event].iter().cloned().partition(|h| keep(h));
        if removed.is_empty() {
            return (removed, Arc::from(Vec::new()));
        }
        let old = std::mem::replace(&mut self.slots[event], Arc::from(kept));
        (removed, old)
    }

    /// Removes every handler of every event; returns the old lists.
    pub fn clear(&mut self) -> Vec<Snapshot<H>> {
        self.slots
            .iter_mut()
            .map(|slot| std::mem::replace(slot, Arc::from(Vec::new())))
            .collect()
    }

    /// All handlers of all events, for garbage-collector traversal.
    pub fn iter_all(&self) -> impl Iterator<Item = &Arc<H>> {
        self.slots.iter().flat_map(|slot| slot.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(snapshot: &Snapshot<u32>) -> Vec<u32> {
        snapshot.iter().map(|h| **h).collect()
    }

    #[test]
    fn events_start_empty_and_keep_registration_order() {
        let mut table = HandlerTable::default();
        let a = table.add_event();
        let b = table.add_event();
        assert_eq!((a, b, table.event_count()), (0, 1, 2));
        table.push(a, Arc::new(1));
        table.push(a, Arc::new(2));
        table.push(b, Arc::new(3));
        assert_eq!(ids(&table.snapshot(a)), vec![1, 2]);
        assert_eq!(ids(&table.snapshot(b)), vec![3]);
        assert!(table.contains_event(1) && !table.contains_event(2));
    }

    #[test]
    fn a_snapshot_is_not_changed_by_later_edits() {
        let mut table = HandlerTable::default();
        let e = table.add_event();
        table.push(e, Arc::new(1));
        let during_dispatch = table.snapshot(e);
        table.push(e, Arc::new(2));
        table.retain(e, |h| *h != 1);
        assert_eq!(ids(&during_dispatch), vec![1]);
        assert_eq!(ids(&table.snapshot(e)), vec![2]);
    }

    #[test]
    fn retain_reports_what_it_removed() {
        let mut table = HandlerTable::default();
        let e = table.add_event();
        for i in 0..5 {
            table.push(e, Arc::new(i));
        }
        let (removed, _) = table.retain(e, |h| h % 2 == 0);
        assert_eq!(removed.iter().map(|h| **h).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(ids(&table.snapshot(e)), vec![0, 2, 4]);
        let (none, _) = table.retain(e, |_| true);
        assert!(none.is_empty());
    }

    #[test]
    fn clear_empties_every_event() {
        let mut table = HandlerTable::default();
        let a = table.add_event();
        let b = table.add_event();
        table.push(a, Arc::new(1));
        table.push(b, Arc::new(2));
        let old = table.clear();
        assert_eq!(old.len(), 2);
        assert_eq!(table.iter_all().count(), 0);
    }

    #[test]
    fn dropping_the_table_drops_handlers_not_held_by_snapshots() {
        let handler = Arc::new(7u32);
        let mut table = HandlerTable::default();
        let e = table.add_event();
        table.push(e, Arc::clone(&handler));
        assert_eq!(Arc::strong_count(&handler), 2);
        drop(table);
        assert_eq!(Arc::strong_count(&handler), 1);
    }
}
