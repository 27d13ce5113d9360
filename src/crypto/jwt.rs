//! Access tokens: short-lived HS256 JWTs. The algorithm is fixed by the server; issuer, audience,
//! expiry and subject are required and checked, and the user's token version (`ver`) is compared
//! with the database on every request (see `auth::authenticate`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::Settings;

pub const ISSUER: &str = "stdreg";
/// The audience of API access tokens (one audience per token purpose).
pub const AUDIENCE_API: &str = "stdreg-api";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// The user's token version when issued; a token whose version is no longer the user's has
    /// been ended (sign-out, password change, removal).
    #[serde(default)]
    pub ver: i32,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl_secs: i64,
}

impl JwtKeys {
    pub fn new(settings: &Settings) -> Self {
        let secret = settings.jwt_secret.expose_secret().as_bytes();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_secs: settings.access_token_ttl.as_secs() as i64,
        }
    }

    /// Signs an access token for a user at their current token version, valid from `now` for the
    /// configured lifetime.
    pub fn issue(
        &self,
        now: i64,
        user: Uuid,
        role: &str,
        org: Option<Uuid>,
        jurisdiction: Option<String>,
        ver: i32,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE_API.into(),
            sub: user,
            exp: now + self.ttl_secs,
            iat: now,
            role: role.into(),
            org,
            jurisdiction,
            ver,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| anyhow::anyhow!("jwt encode: {e}"))
    }

    /// Verifies signature, algorithm (HS256 only), issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE_API]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = 5;
        v.validate_exp = true;
        decode::<Claims>(token, &self.decoding, &v).map(|d| d.claims)
    }
}
