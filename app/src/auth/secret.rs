//! Opaque bearer secrets (API tokens `szt_…`, refresh tokens `szr_…`):
//! 256 random bits, shown once, stored as a SHA-256 hash.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub struct OpaqueToken {
    /// The secret to hand to the client, once.
    pub plain: String,
    /// What is stored.
    pub hash: String,
}

impl OpaqueToken {
    pub const API_PREFIX: &'static str = "szt_";
    pub const REFRESH_PREFIX: &'static str = "szr_";

    pub fn generate(prefix: &str) -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let plain = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
        let hash = hash_token(&plain);
        OpaqueToken { plain, hash }
    }
}

pub fn hash_token(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}
