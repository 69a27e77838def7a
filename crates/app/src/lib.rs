//! Kensa's use cases: adding a product version, listing findings, saving
//! an assessment, exporting VEX, reading the queue, managing accounts and
//! grants, reading the audit trail.
//!
//! The command line and the team server both call these functions, so no
//! rule lives twice: each takes the [`Actor`] who asks, checks what that
//! actor may do, calls the store, and returns data for the caller to
//! render. Nothing here is asynchronous; the server runs these calls on
//! its blocking pool.
//!
//! Access control follows one rule (see [`access`]): a user's role on a
//! product is the highest role among the grants whose scope covers it
//! (the product, its team, or global); a product outside every grant does
//! not exist for that user ([`AppError::NotFound`], never `Forbidden`).

pub mod access;
pub mod accounts;
pub mod advisories;
pub mod alerts;
pub mod aliases;
pub mod assessments;
pub mod audit;
pub mod auto_answers;
pub mod cra;
mod error;
pub mod findings;
pub mod jobs;
pub mod page;
pub mod products;
pub mod proposals;
pub mod queue;
pub mod secret;
pub mod sync;
pub mod triage;
pub mod vex;
pub mod webhooks;

pub use access::Actor;
pub use error::AppError;
pub use page::Page;

pub type Result<T, E = AppError> = std::result::Result<T, E>;
