//! Producing and consuming on two threads: a bulk write spends its time
//! half on this process's CPU (reading a file, rendering JSON, hashing the
//! audit chain) and half waiting for the database to take the rows. Run on
//! one thread the two take turns; here they overlap.

use std::sync::mpsc::{Iter, sync_channel};

/// Runs `items` on a second thread, at most `depth` items ahead of
/// `consume` on this one, and returns what `consume` returns. If `consume`
/// stops early the channel closes and the producer ends at its next item;
/// a panic on the producer's side is raised again here.
pub fn overlapped<I, R>(items: I, depth: usize, consume: impl FnOnce(Iter<'_, I::Item>) -> R) -> R
where
    I: Iterator + Send,
    I::Item: Send,
{
    std::thread::scope(|s| {
        let (sender, receiver) = sync_channel(depth);
        let producer = s.spawn(move || {
            for item in items {
                if sender.send(item).is_err() {
                    break;
                }
            }
        });
        let out = consume(receiver.iter());
        drop(receiver);
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        out
    })
}

/// Runs `side` on a second thread while `main` runs on this one, and
/// returns both results (a panic on the side is raised again here).
pub fn alongside<A: Send, B>(side: impl FnOnce() -> A + Send, main: impl FnOnce() -> B) -> (A, B) {
    std::thread::scope(|s| {
        let side = s.spawn(side);
        let b = main();
        match side.join() {
            Ok(a) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_arrives_in_order() {
        let got: Vec<u32> = overlapped(0..10_000u32, 4, |items| items.collect());
        assert_eq!(got, (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn a_consumer_that_stops_early_stops_the_producer() {
        let produced = std::sync::atomic::AtomicUsize::new(0);
        let items = (0..1_000_000).inspect(|_| {
            produced.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let first: Vec<i32> = overlapped(items, 2, |items| items.take(3).collect());
        assert_eq!(first, [0, 1, 2]);
        // Three taken, at most `depth` queued and one blocked in send.
        assert!(produced.into_inner() < 10);
    }

    #[test]
    #[should_panic(expected = "producer failed")]
    fn a_producer_panic_reaches_the_caller() {
        let items = (0..10).map(|i| if i == 5 { panic!("producer failed") } else { i });
        overlapped(items, 1, |items| items.count());
    }

    #[test]
    fn both_sides_run_and_return() {
        let (a, b) = alongside(|| (0..1000u64).sum::<u64>(), || "main");
        assert_eq!((a, b), (499_500, "main"));
    }
}
