//! A small blocking HTTP client for the sync sources.
//!
//! It adds what every feed download needs on top of `ureq`: a
//! `kensa/<version>` User-Agent, timeouts, a minimum interval between
//! requests (NVD's rolling rate limit), and retries with exponential backoff
//! on connection failures, 429 and 5xx, honouring `Retry-After`. Sleeping
//! goes through an injectable function so tests run without waiting.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sleeps for the given time. Tests inject one that records and returns.
pub type Sleeper = Arc<dyn Fn(Duration) + Send + Sync>;

/// The User-Agent every request sends.
pub const USER_AGENT: &str = concat!("kensa/", env!("CARGO_PKG_VERSION"));

/// How the client behaves.
#[derive(Clone)]
pub struct HttpConfig {
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time for one whole request, body included (NVD pages and the EPSS
    /// file are tens of megabytes).
    pub request_timeout: Duration,
    /// Attempts per request, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Delay before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// Upper bound for the computed backoff.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the request fails.
    pub max_retry_after: Duration,
    /// Adds up to 25 % random delay to the backoff, so that many clients
    /// failing together do not retry together.
    pub jitter: bool,
    /// Minimum time between the starts of two requests (rate limiting).
    pub min_interval: Duration,
    /// Statuses retried besides 408, 429 and 5xx (NVD answers 403 when its
    /// rate limit is exceeded).
    pub extra_retry_statuses: Vec<u16>,
    /// Responses larger than this (after decompression) are refused.
    pub max_body_bytes: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(600),
            max_attempts: 5,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(120),
            max_retry_after: Duration::from_secs(600),
            jitter: true,
            min_interval: Duration::ZERO,
            extra_retry_statuses: Vec::new(),
            max_body_bytes: 1 << 30,
        }
    }
}

/// Why a request failed, naming the URL.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("GET {url}: HTTP {status}{}{}", attempts_note(*attempts), body_note(body))]
    Status {
        url: String,
        status: u16,
        /// The start of the response body, which often says why.
        body: String,
        attempts: u32,
    },
    #[error("GET {url}: {message}{}", attempts_note(*attempts))]
    Transport {
        url: String,
        message: String,
        attempts: u32,
    },
    #[error(
        "GET {url}: HTTP {status}, and the server asks to wait {} s before retrying (more than the {} s this sync waits)",
        wait.as_secs(), limit.as_secs()
    )]
    RetryAfterTooLong {
        url: String,
        status: u16,
        wait: Duration,
        limit: Duration,
    },
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (gave up after {attempts} attempts)")
    } else {
        String::new()
    }
}

fn body_note(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl HttpError {
    pub fn url(&self) -> &str {
        match self {
            HttpError::Status { url, .. }
            | HttpError::Transport { url, .. }
            | HttpError::RetryAfterTooLong { url, .. } => url,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } | HttpError::RetryAfterTooLong { status, .. } => {
                Some(*status)
            }
            HttpError::Transport { .. } => None,
        }
    }
}

/// A successful (2xx) or not-modified (304) response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Response {
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Response),
    /// Worth another try, after the server's `Retry-After` if it gave one.
    Retry(HttpError, Option<Duration>),
    Fatal(HttpError),
}

/// A blocking client with retries and a rate limit. Not shared between
/// threads: the rate limit is per client.
pub struct Client {
    agent: ureq::Agent,
    config: HttpConfig,
    sleep: Sleeper,
    last_start: Option<Instant>,
    requests: u64,
}

impl Client {
    pub fn new(config: HttpConfig) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .build()
            .into();
        Client {
            agent,
            config,
            sleep: Arc::new(std::thread::sleep),
            last_start: None,
            requests: 0,
        }
    }

    /// Replaces `std::thread::sleep` (tests record the delays instead).
    pub fn with_sleeper(mut self, sleep: Sleeper) -> Client {
        self.sleep = sleep;
        self
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// GETs `url`, retrying as configured. Returns 2xx and 304 responses;
    /// every other outcome is an error naming the URL.
    pub fn get(&mut self, url: &str, headers: &[(&str, &str)]) -> Result<Response, HttpError> {
        let mut attempt = 1;
        loop {
            self.wait_for_slot();
            let outcome = self.attempt(url, headers, attempt);
            let (error, retry_after) = match outcome {
                Attempt::Done(r) => return Ok(r),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry(e, retry_after) => (e, retry_after),
            };
            if attempt >= self.config.max_attempts {
                return Err(error);
            }
            let delay = match retry_after {
                Some(wait) if wait > self.config.max_retry_after => {
                    return Err(HttpError::RetryAfterTooLong {
                        url: url.to_string(),
                        status: error.status().unwrap_or(0),
                        wait,
                        limit: self.config.max_retry_after,
                    });
                }
                Some(wait) => wait,
                None => self.backoff(attempt),
            };
            (self.sleep)(delay);
            attempt += 1;
        }
    }

    /// Sleeps until `min_interval` has passed since the previous request.
    fn wait_for_slot(&mut self) {
        if let Some(last) = self.last_start {
            let since = last.elapsed();
            if since < self.config.min_interval {
                (self.sleep)(self.config.min_interval - since);
            }
        }
        self.last_start = Some(Instant::now());
    }

    /// Backoff before retry number `attempt` (1-based): initial × 2^(attempt-1),
    /// capped, plus optional jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let base = self
            .config
            .initial_backoff
            .saturating_mul(factor)
            .min(self.config.max_backoff);
        if self.config.jitter {
            base + base.mul_f64(0.25 * pseudo_random_unit())
        } else {
            base
        }
    }

    fn attempt(&mut self, url: &str, headers: &[(&str, &str)], attempt: u32) -> Attempt {
        self.requests += 1;
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let transport = |e: ureq::Error| HttpError::Transport {
            url: url.to_string(),
            message: e.to_string(),
            attempts: attempt,
        };
        let mut response = match request.call() {
            Ok(r) => r,
            Err(e) if is_transient(&e) => return Attempt::Retry(transport(e), None),
            Err(e) => return Attempt::Fatal(transport(e)),
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
        let body = response
            .body_mut()
            .with_config()
            .limit(self.config.max_body_bytes)
            .read_to_vec();
        if (200..300).contains(&status) || status == 304 {
            return match body {
                Ok(body) => Attempt::Done(Response {
                    status,
                    body,
                    etag,
                    last_modified,
                }),
                // A connection cut mid-body is as transient as a refused one.
                Err(e) if is_transient(&e) => Attempt::Retry(transport(e), None),
                Err(e) => Attempt::Fatal(transport(e)),
            };
        }
        let error = HttpError::Status {
            url: url.to_string(),
            status,
            body: body.map(|b| excerpt(&b)).unwrap_or_default(),
            attempts: attempt,
        };
        if self.is_retried_status(status) {
            Attempt::Retry(error, retry_after)
        } else {
            Attempt::Fatal(error)
        }
    }

    fn is_retried_status(&self, status: u16) -> bool {
        status == 408
            || status == 429
            || (500..600).contains(&status)
            || self.config.extra_retry_statuses.contains(&status)
    }
}

/// Failures that may pass: the network, timeouts, a connection reset.
fn is_transient(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::BodyStalled
    )
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The first 200 characters of an error body, on one line.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(800)]);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

/// A number in [0, 1) that varies between calls; good enough for jitter,
/// which needs no quality, so no random-number dependency.
fn pseudo_random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past means no wait"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let client = Client::new(HttpConfig {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            jitter: false,
            ..HttpConfig::default()
        });
        let delays: Vec<u64> = (1..=5).map(|a| client.backoff(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 5, 5]);
    }

    #[test]
    fn jitter_adds_at_most_a_quarter() {
        let client = Client::new(HttpConfig {
            initial_backoff: Duration::from_secs(4),
            ..HttpConfig::default()
        });
        for _ in 0..50 {
            let d = client.backoff(1);
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(5),
                "{d:?}"
            );
        }
    }

    #[test]
    fn error_excerpt_is_one_short_line() {
        let long = "x ".repeat(500);
        let e = excerpt(long.as_bytes());
        assert!(e.ends_with('…') && e.chars().count() == 201, "{e}");
        assert_eq!(excerpt(b"Bad\r\n request"), "Bad request");
    }
}
