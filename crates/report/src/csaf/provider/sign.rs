//! OpenPGP detached signatures (requirements 19 and 20) with rPGP (the
//! `pgp` crate).
//!
//! Why rPGP: it is pure Rust (RustCrypto primitives, no Nettle or OpenSSL
//! to install, unlike sequoia-openpgp's default backend), maintained, and
//! reads the armoured keys GnuPG exports (RSA, Ed25519, ECDSA). The cost
//! is its algorithm zoo: about 110 crates enter Cargo.lock (RustCrypto
//! ciphers, curves, RSA), and building them took 4 min 15 s of wall time
//! in a debug build on the shared 2-core machine (2026-12-03). sequoia with
//! its pure-Rust backend needs the same RustCrypto crates plus its own
//! parser stack (lalrpop), so it would cost no less. `default-features =
//! false` leaves out bzip2 (a C library).
//!
//! Signatures are binary-mode (type 0x00) detached signatures over the
//! exact bytes served, ASCII-armoured, as `gpg --detach-sign --armor`
//! writes them.

use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, SignedPublicKey, SignedSecretKey,
};
use pgp::packet::Signature;
use pgp::types::{KeyDetails, Password, SigningKey};

/// Why signing or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("not an armoured OpenPGP secret key: {0}")]
    SecretKey(String),
    #[error("not an armoured OpenPGP public key: {0}")]
    PublicKey(String),
    #[error("the key has no usable signing key (is it passphrase-protected? {0})")]
    NoSigningKey(String),
    #[error("not an armoured OpenPGP signature: {0}")]
    Signature(String),
    #[error("the signature does not verify against key {fingerprint}: {message}")]
    Mismatch {
        fingerprint: String,
        message: String,
    },
}

/// A secret key ready to sign with.
pub struct Signer {
    key: SignedSecretKey,
    password: String,
}

impl Signer {
    /// Reads an armoured secret key (`gpg --export-secret-keys --armor`);
    /// `passphrase` unlocks it when it is protected.
    pub fn from_armored(text: &str, passphrase: Option<&str>) -> Result<Signer, SignError> {
        let (key, _) =
            SignedSecretKey::from_string(text).map_err(|e| SignError::SecretKey(e.to_string()))?;
        let signer = Signer {
            key,
            password: passphrase.unwrap_or_default().to_string(),
        };
        // Fail now, not after half a tree: sign a probe and verify it.
        let probe = signer.sign(b"kensa")?;
        verify(&signer.public_armored()?, b"kensa", probe.as_bytes())?;
        Ok(signer)
    }

    /// The primary key's fingerprint, upper-case hex (as provider metadata
    /// lists it).
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.fingerprint())
    }

    /// The public key, armoured, to publish beside the tree.
    pub fn public_armored(&self) -> Result<String, SignError> {
        let public = SignedPublicKey::from(self.key.clone());
        public
            .to_armored_string(ArmorOptions::default())
            .map_err(|e| SignError::PublicKey(e.to_string()))
    }

    /// A detached, armoured signature over `data`. Signs with a subkey
    /// flagged for signing when the key has one (as GnuPG does), else with
    /// the primary key.
    pub fn sign(&self, data: &[u8]) -> Result<String, SignError> {
        let password = Password::from(self.password.as_str());
        let mut rng = rand::thread_rng();
        let signing_subkey = self.key.secret_subkeys.iter().find(|s| {
            s.signatures
                .iter()
                .any(|sig: &Signature| sig.key_flags().sign())
        });
        let result = match signing_subkey {
            Some(sub) => sign_with(&mut rng, &sub.key, &password, data),
            None => sign_with(&mut rng, &self.key.primary_key, &password, data),
        };
        let signature = result.map_err(|e| SignError::NoSigningKey(e.to_string()))?;
        signature
            .to_armored_string(ArmorOptions::default())
            .map_err(|e| SignError::Signature(e.to_string()))
    }
}

fn sign_with(
    rng: &mut rand::rngs::ThreadRng,
    key: &impl SigningKey,
    password: &Password,
    data: &[u8],
) -> pgp::errors::Result<DetachedSignature> {
    DetachedSignature::sign_binary_data(rng, key, password, key.hash_alg(), data)
}

/// Generates an Ed25519 signing key (OpenPGP v4, the primary key signs),
/// armoured; protected by `passphrase` when one is given. For tests and
/// for trying a tree out; a PSIRT's real key comes from its key ceremony.
pub fn generate_key(user_id: &str, passphrase: Option<&str>) -> Result<String, SignError> {
    use pgp::composed::{KeyType, SecretKeyParamsBuilder};
    let params = SecretKeyParamsBuilder::default()
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .primary_user_id(user_id.into())
        .passphrase(passphrase.map(str::to_string))
        .build()
        .map_err(|e| SignError::SecretKey(e.to_string()))?;
    let key = params
        .generate(rand::thread_rng())
        .map_err(|e| SignError::SecretKey(e.to_string()))?;
    key.to_armored_string(ArmorOptions::default())
        .map_err(|e| SignError::SecretKey(e.to_string()))
}

/// The fingerprint (upper-case hex) of an armoured public key.
pub fn public_fingerprint(public_armored: &[u8]) -> Result<String, SignError> {
    let key = read_public(public_armored)?;
    Ok(format!("{:X}", key.fingerprint()))
}

/// Verifies an armoured detached signature over `data` against an
/// armoured public key (its primary key or any subkey).
pub fn verify(public_armored: &str, data: &[u8], signature: &[u8]) -> Result<(), SignError> {
    let key = read_public(public_armored.as_bytes())?;
    let text = std::str::from_utf8(signature)
        .map_err(|_| SignError::Signature("not UTF-8 text".into()))?;
    let (sig, _) =
        DetachedSignature::from_string(text).map_err(|e| SignError::Signature(e.to_string()))?;
    let primary = sig.verify(&key, data);
    if primary.is_ok()
        || key
            .public_subkeys
            .iter()
            .any(|s| sig.verify(s, data).is_ok())
    {
        return Ok(());
    }
    Err(SignError::Mismatch {
        fingerprint: format!("{:X}", key.fingerprint()),
        message: primary.err().map(|e| e.to_string()).unwrap_or_default(),
    })
}

fn read_public(armored: &[u8]) -> Result<SignedPublicKey, SignError> {
    let text =
        std::str::from_utf8(armored).map_err(|_| SignError::PublicKey("not UTF-8 text".into()))?;
    let (key, _) =
        SignedPublicKey::from_string(text).map_err(|e| SignError::PublicKey(e.to_string()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_and_the_signature_verifies_only_for_the_data() {
        let secret = generate_key("PSIRT <psirt@example.com>", Some("pw")).unwrap();
        assert!(matches!(
            Signer::from_armored(&secret, Some("wrong")),
            Err(SignError::NoSigningKey(_))
        ));
        let signer = Signer::from_armored(&secret, Some("pw")).unwrap();
        let public = signer.public_armored().unwrap();
        assert!(public.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        assert_eq!(
            public_fingerprint(public.as_bytes()).unwrap(),
            signer.fingerprint()
        );
        assert_eq!(signer.fingerprint().len(), 40);
        let sig = signer.sign(b"{\"document\": 1}").unwrap();
        assert!(sig.starts_with("-----BEGIN PGP SIGNATURE-----"));
        verify(&public, b"{\"document\": 1}", sig.as_bytes()).unwrap();
        let e = verify(&public, b"{\"document\": 2}", sig.as_bytes()).unwrap_err();
        assert!(matches!(e, SignError::Mismatch { .. }), "{e}");
        let other = Signer::from_armored(&generate_key("Other", None).unwrap(), None).unwrap();
        let e = verify(
            &other.public_armored().unwrap(),
            b"{\"document\": 1}",
            sig.as_bytes(),
        );
        assert!(e.is_err());
    }
}
