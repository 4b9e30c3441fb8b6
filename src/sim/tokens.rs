//! Issuing and checking bearer tokens. A token is `payload.signature`: the payload (client id,
//! audience, resource, expiry, a nonce) in base64url JSON and an HMAC-SHA256 over it with the
//! world's token key, which is derived from the CA's private key. The issued tokens are also kept in
//! the world; a token not found there (one issued before a restart and still cached by a client such
//! as the Azure CLI) is accepted when its signature holds and its principal still exists.

use base64::Engine as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::state::{random_token, Audience, BearerError, IssuedToken, TokenError, World};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Serialize, Deserialize)]
struct Payload {
    /// Client id.
    c: String,
    /// Audience: `arm`, `graph`, `keyvault`.
    a: String,
    /// Resource as requested.
    r: String,
    /// Expiry, Unix seconds.
    e: i64,
    /// Makes every token unique.
    n: String,
}

fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Arm => "arm",
        Audience::Graph => "graph",
        Audience::KeyVault => "keyvault",
    }
}

fn audience_from(name: &str) -> Option<Audience> {
    match name {
        "arm" => Some(Audience::Arm),
        "graph" => Some(Audience::Graph),
        "keyvault" => Some(Audience::KeyVault),
        _ => None,
    }
}

impl World {
    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.token_key).expect("HMAC takes any key length")
    }

    /// Client-credentials grant: checks the secret and issues a signed token.
    pub fn issue_token(
        &mut self,
        client_id: &str,
        secret: &str,
        audience: Audience,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, i64), TokenError> {
        let principal = self
            .principals
            .get(&client_id.to_ascii_lowercase())
            .ok_or(TokenError::UnknownClient)?;
        if principal.secret.expose() != secret {
            return Err(TokenError::BadSecret);
        }
        let lifetime = self.config.token_lifetime_secs;
        let issued = IssuedToken {
            client_id: principal.client_id.clone(),
            audience,
            resource: resource.to_string(),
            expires_at: now + Duration::seconds(lifetime),
        };
        let payload = Payload {
            c: issued.client_id.clone(),
            a: audience_name(audience).into(),
            r: issued.resource.clone(),
            e: issued.expires_at.timestamp(),
            n: random_token(),
        };
        let body = B64.encode(serde_json::to_vec(&payload).expect("a payload serialises"));
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let token = format!("{body}.{}", B64.encode(mac.finalize().into_bytes()));
        self.tokens.insert(token.clone(), issued);
        Ok((token, lifetime))
    }

    /// A token issued with this world's key, read from the token itself.
    fn verify(&self, token: &str) -> Option<IssuedToken> {
        let (body, signature) = token.split_once('.')?;
        let signature = B64.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&signature).ok()?;
        let payload: Payload = serde_json::from_slice(&B64.decode(body).ok()?).ok()?;
        let principal = self.principals.get(&payload.c.to_ascii_lowercase())?;
        Some(IssuedToken {
            client_id: principal.client_id.clone(),
            audience: audience_from(&payload.a)?,
            resource: payload.r,
            expires_at: Utc.timestamp_opt(payload.e, 0).single()?,
        })
    }

    /// The token's grant, if it is one of ours, unexpired and for `audience`.
    pub fn bearer(
        &self,
        token: &str,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, BearerError> {
        let issued = match self.tokens.get(token) {
            Some(t) => t.clone(),
            None => self.verify(token).ok_or(BearerError::Unknown)?,
        };
        if issued.expires_at <= now {
            return Err(BearerError::Expired(issued.expires_at));
        }
        if issued.audience != audience {
            return Err(BearerError::WrongAudience(issued.resource.clone()));
        }
        Ok(issued)
    }
}
