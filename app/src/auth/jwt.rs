//! Access tokens: HS256 JWTs with `iss`, `aud`, `exp` and a `kid` derived
//! from the key, so a token signed with another key or algorithm, or with
//! `alg: none`, is refused before its claims are read.

use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};
use crate::users::GrantView;

pub const ISSUER: &str = "shuzhuan";
pub const AUDIENCE: &str = "shuzhuan-api";
const ALGORITHM: Algorithm = Algorithm::HS256;

/// Claims of an access token. The grants are informative for clients;
/// authorisation reads the current grants from the database, so a revoked
/// grant takes effect at once.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub username: String,
    pub grants: Vec<GrantView>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    pub ttl_seconds: i64,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl_seconds: i64) -> Self {
        let kid = hex::encode(&Sha256::digest(secret)[..8]);
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            kid,
            ttl_seconds,
        }
    }

    pub fn issue(&self, user_id: &str, username: &str, grants: Vec<GrantView>) -> Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now + self.ttl_seconds,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            username: username.to_owned(),
            grants,
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.kid.clone());
        encode(&header, &claims, &self.encoding).map_err(AppError::internal)
    }

    /// The subject of a valid token.
    pub fn verify(&self, token: &str) -> Result<Claims> {
        let invalid = AppError::Unauthenticated("invalid_token");
        let header =
            decode_header(token).map_err(|_| AppError::Unauthenticated("invalid_token"))?;
        if header.alg != ALGORITHM || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(invalid);
        }
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AppError::Unauthenticated("token_expired"),
                _ => invalid,
            })
    }
}
