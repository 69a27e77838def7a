use std::path::Path;

/// Why reading data or a model failed; every variant names the file and,
/// for bad data, the line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} line {line}: {message}")]
    Data {
        path: String,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error("{0}")]
    Model(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn data(path: &Path, line: u64, message: &str) -> Self {
        Error::Data {
            path: path.display().to_string(),
            line,
            message: message.to_string(),
        }
    }

    pub(crate) fn format(path: &Path, message: &str) -> Self {
        Error::Format {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}
