//! TLS to the PostgreSQL server. A URL with `sslmode=require` gets an
//! encrypted connection whose server certificate is verified: against
//! Mozilla's roots (webpki-roots) and the CA certificates of the PEM file
//! named by `KENSA_DB_CA` (a company's own CA), with the host name the URL
//! gives. Any other mode connects in the clear, as before: libpq's default
//! `prefer` would try TLS and accept any certificate, which protects
//! against nothing but a passive listener and hides a misconfiguration, so
//! Kensa asks for TLS explicitly or not at all.
//!
//! rustls (with ring, which the HTTP client already links) rather than
//! OpenSSL: no system library to match on air-gapped hosts.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The environment variable naming extra CA certificates (PEM).
pub const CA_ENV: &str = "KENSA_DB_CA";

/// The connector for `sslmode=require`, or why there is none.
pub(crate) fn connector() -> Result<MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = std::env::var_os(CA_ENV) {
        let shown = std::path::Path::new(&path).display().to_string();
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("{CA_ENV}={shown}: {e}"))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{CA_ENV}={shown}: {e}"))?;
        if certs.is_empty() {
            return Err(format!("{CA_ENV}={shown}: no PEM certificate in it"));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("{CA_ENV}={shown}: {e}"))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
