//! Secrets: password hashes (argon2id), API tokens and session cookies.
//!
//! Passwords are stored as argon2id PHC strings with the crate's default
//! parameters (19 MiB, 2 passes, 1 lane: OWASP's recommendation). Tokens
//! and session cookies are 256 random bits; only their SHA-256 is stored,
//! which is enough for secrets with that much entropy and lets a lookup be
//! a plain index probe.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::AppError;

/// Prefix of API tokens, so they are recognisable in logs and scanners.
pub const TOKEN_PREFIX: &str = "kensa_";

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (hashing cost grows with it).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The argon2id PHC string for a password.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    check_password(password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::BadInput(format!("no randomness: {e}")))?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h: PasswordHash| h.to_string())
        .map_err(|e| AppError::BadInput(format!("hashing the password: {e}")))
}

/// Whether `password` matches the stored hash. A malformed hash matches
/// nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Spends the time a password check takes, for a user that does not
/// exist, so response times do not tell which names exist.
pub fn burn_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("kensa-dummy-password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("too short; use at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(
            "password",
            format!("longer than {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// A new random secret: 256 bits, URL-safe base64.
pub fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::BadInput(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A new API token (shown once) and the hash to store.
pub fn new_token() -> Result<(String, String), AppError> {
    let token = format!("{TOKEN_PREFIX}{}", new_secret()?);
    let hash = digest(&token);
    Ok((token, hash))
}

/// SHA-256 of a secret, hex: what the store keeps of tokens and sessions.
pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CSRF token of a session: derived from its secret, so it needs no
/// storage, and useless without the session cookie it is bound to.
pub fn csrf_token(session_secret: &str) -> String {
    digest(&format!("kensa-csrf\u{0}{session_secret}"))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, ha) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() > 40);
        assert_eq!(ha, digest(&a));
        assert!(!ha.contains(&a));
        assert!(same_secret(&a, &a.clone()) && !same_secret(&a, &b));
    }
}
