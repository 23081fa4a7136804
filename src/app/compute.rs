//! The compute pool: ranking, explaining and other CPU-bound serving work runs here, never on
//! the HTTP workers, so a burst of recommendations cannot hold up other requests on the same
//! worker (health checks, cheap queries). Its own threads, apart from rayon's global pool,
//! which training keeps busy.
use crate::error::AppError;

/// A fixed pool of threads for CPU-bound request work.
pub struct ComputePool {
    pool: rayon::ThreadPool,
}

impl ComputePool {
    /// A pool of `threads` threads (0: one per core).
    pub fn new(threads: usize) -> Self {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("marquee-compute-{i}"))
            .panic_handler(|_| tracing::error!("a serving computation panicked"))
            .build()
            .expect("starting the compute pool");
        Self { pool }
    }

    /// Runs `f` on the pool, inside the caller's span, and waits for its result without
    /// blocking the caller's thread. A panic in `f` becomes an internal error.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.pool.spawn(move || {
            let _ = tx.send(span.in_scope(f));
        });
        rx.await
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("a serving computation failed")))
    }
}
