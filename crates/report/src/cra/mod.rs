//! EU CRA Article 14.
