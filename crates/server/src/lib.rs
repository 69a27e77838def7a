//! `kensa serve`: the team server. A web UI and a REST API (`/api/v1`)
//! over the same database and the same use cases (kensa-app) as the
//! command line.
//!
//! Handlers stay thin: they parse the request, authenticate the actor,
//! call one use case on a pooled database connection (on tokio's blocking
//! pool: SQLite calls block), and render the result as JSON or HTML.
//! Everything the pages need (CSS, htmx) is compiled into the binary.
//!
//! The async runtime lives here and nowhere else: [`serve`] builds it.

mod api;
mod extract;
mod jobs;
mod metrics;
mod openapi;
mod pool;
mod problem;
mod state;
mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use kensa_app::vex::Publisher;
use kensa_store::Location;

pub use pool::Pool;
pub use problem::ApiError;
pub use state::AppState;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the data lives: a database file, or a node on PostgreSQL.
    pub location: Location,
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate chain and key (PEM).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Requests with a larger body are refused (413) before it is read.
    pub max_body: usize,
    /// Mark cookies `Secure` (set with TLS, or behind a TLS proxy).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a proxy).
    pub trust_proxy: bool,
    /// How long an SBOM upload waits for its scan before answering 202
    /// with a job to poll.
    pub upload_wait: Duration,
    /// Database connections (and so concurrent database calls).
    pub pool_size: usize,
    /// Who VEX documents say states them.
    pub publisher: Publisher,
    /// On a node: how often to look for a newer intelligence publication.
    pub intel_poll: Duration,
    /// How long a node's claim on a job lasts without renewal: another
    /// node takes the job over this long after the node died.
    pub job_lease: Duration,
    /// How often an idle node looks for jobs to take over or retry.
    pub job_poll: Duration,
    /// How often the leader looks for webhook events to raise (a case
    /// opened, a deadline 12 hours away).
    pub webhook_poll: Duration,
    /// Sync the intelligence from its publishers on a schedule (off by
    /// default: air-gapped plants import files).
    pub sync: Option<SyncSchedule>,
    /// The language model behind the product page's "Ask the model"
    /// (`kensa alias propose`); the button is hidden without one.
    pub llm: Option<kensa_logic::llm::LlmConfig>,
}

/// A scheduled `db sync`: one node at a time queues it every `every`; any
/// node runs the job.
#[derive(Debug, Clone)]
pub struct SyncSchedule {
    pub every: Duration,
    pub plan: kensa_app::sync::SyncPlan,
}

impl Config {
    pub fn new(db: PathBuf) -> Config {
        Config::at(Location::File(db))
    }

    pub fn at(location: Location) -> Config {
        Config {
            location,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: None,
            max_body: 64 << 20,
            secure_cookies: false,
            trust_proxy: false,
            upload_wait: Duration::from_secs(2),
            pool_size: 8,
            publisher: Publisher::default(),
            intel_poll: Duration::from_secs(10),
            job_lease: Duration::from_secs(30),
            job_poll: Duration::from_secs(1),
            webhook_poll: Duration::from_secs(30),
            sync: None,
            llm: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error(transparent)]
    Store(#[from] kensa_store::StoreError),
    #[error(transparent)]
    App(#[from] kensa_app::AppError),
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// The whole application: API, pages, health and metrics.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(web::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_body))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::refuse_large_bodies,
        ))
        .with_state(state)
}

/// Runs the server until SIGINT or SIGTERM. `on_ready` is told the bound
/// address once it accepts connections.
pub fn serve(config: Config, on_ready: impl FnOnce(SocketAddr) + Send) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kensa-serve")
        .build()
        .map_err(ServerError::Runtime)?;
    runtime.block_on(run(config, on_ready, shutdown_signal()))
}

/// A server started on its own thread, for tests and embedding: stops when
/// dropped.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Starts the server on a thread of its own and returns once it listens.
pub fn spawn(config: Config) -> Result<Running, ServerError> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let ready = ready_tx.clone();
        let result = runtime.block_on(run(
            config,
            move |addr| {
                let _ = ready.send(Ok(addr));
            },
            async {
                let _ = stop_rx.await;
            },
        ));
        if let Err(e) = &result {
            let _ = ready_tx.send(Err(e.to_string()));
        }
        result
    });
    match ready_rx.recv() {
        Ok(Ok(addr)) => Ok(Running {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(_)) | Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e),
            _ => Err(ServerError::Serve(std::io::Error::other(
                "the server thread ended before listening",
            ))),
        },
    }
}

async fn run(
    config: Config,
    on_ready: impl FnOnce(SocketAddr) + Send,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let state = Arc::new(AppState::open(config.clone()).await?);
    tokio::spawn(jobs::work(state.clone()));
    tokio::spawn(jobs::keep_findings_current(
        state.clone(),
        config.intel_poll,
    ));
    tokio::spawn(jobs::raise_webhook_events(
        state.clone(),
        config.webhook_poll,
    ));
    if let Some(schedule) = &config.sync {
        tokio::spawn(jobs::schedule_syncs(state.clone(), schedule.every));
    }
    if matches!(config.location, Location::Node { .. }) {
        tokio::spawn(follow_publications(state.clone(), config.intel_poll));
    }
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    listener.set_nonblocking(true).map_err(ServerError::Serve)?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let tls = match &config.tls {
        Some((cert, key)) => Some(
            axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| {
                    ServerError::Tls(format!(
                        "reading {} and {}: {e}",
                        cert.display(),
                        key.display()
                    ))
                })?,
        ),
        None => None,
    };
    on_ready(addr);
    let served = match tls {
        Some(tls) => {
            axum_server::from_tcp_rustls(listener, tls)
                .map_err(ServerError::Serve)?
                .handle(handle)
                .serve(app)
                .await
        }
        None => {
            axum_server::from_tcp(listener)
                .map_err(ServerError::Serve)?
                .handle(handle)
                .serve(app)
                .await
        }
    };
    served.map_err(ServerError::Serve)
}

/// A node picks up the intelligence another node published: connections
/// switch when next taken, so a request reads one publication throughout.
async fn follow_publications(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.pool.pick_up_intel().await {
            eprintln!(
                "kensa serve: picking up published intelligence: {}",
                e.detail
            );
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
