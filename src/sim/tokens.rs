//! Issuing and checking bearer tokens. A token is a JWT (`header.claims.signature`, each part
//! base64url): header `{"alg":"HS256","typ":"JWT"}`, Entra's claims (`iss`
//! `https://sts.windows.net/{tenant}/`, `aud` the resource as requested, `iat`/`nbf`/`exp`, `tid`,
//! `oid`, `appid`, `sub`, `ver`), plus `hm_aud` (which of our services it is for) and `uti` (a nonce),
//! signed with HMAC-SHA256 under the world's token key, which is derived from the CA's private key.
//! So services that read the claims without checking the signature (Azurite in `--oauth basic` mode)
//! accept them, and the simulator itself checks the signature.
//!
//! The issued tokens are also kept in the world; a token not found there (one issued before a restart
//! and still cached by a client such as the Azure CLI) is accepted when its signature holds and its
//! principal still exists.

use base64::Engine as _;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::state::{random_token, Audience, BearerError, IssuedToken, TokenError, World};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The JOSE header every token carries.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A token's claims.
#[derive(Serialize, Deserialize)]
struct Claims {
    /// `https://sts.windows.net/{tenant}/`, Entra's v1 issuer.
    iss: String,
    /// The resource as requested (the scope without `/.default`).
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    tid: String,
    /// The service principal's object id.
    oid: String,
    /// The client id.
    appid: String,
    sub: String,
    ver: String,
    /// Which of the simulator's services the token is for: `arm`, `graph`, `keyvault`, `storage`.
    hm_aud: String,
    /// Makes every token unique.
    uti: String,
}

fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Arm => "arm",
        Audience::Graph => "graph",
        Audience::KeyVault => "keyvault",
        Audience::Storage => "storage",
        Audience::Monitor => "monitor",
    }
}

fn audience_from(name: &str) -> Option<Audience> {
    match name {
        "arm" => Some(Audience::Arm),
        "graph" => Some(Audience::Graph),
        "keyvault" => Some(Audience::KeyVault),
        "storage" => Some(Audience::Storage),
        "monitor" => Some(Audience::Monitor),
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
        let claims = Claims {
            iss: format!("https://sts.windows.net/{}/", self.tenant_id),
            aud: issued.resource.clone(),
            iat: now.timestamp(),
            // A little slack for clocks that run behind, as Entra does.
            nbf: now.timestamp() - 300,
            exp: issued.expires_at.timestamp(),
            tid: self.tenant_id.clone(),
            oid: principal.object_id.clone(),
            appid: principal.client_id.clone(),
            sub: principal.object_id.clone(),
            ver: "1.0".into(),
            hm_aud: audience_name(audience).into(),
            uti: random_token(),
        };
        let signed = format!(
            "{}.{}",
            B64.encode(HEADER),
            B64.encode(serde_json::to_vec(&claims).expect("claims serialise"))
        );
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        let token = format!("{signed}.{}", B64.encode(mac.finalize().into_bytes()));
        self.issued.record(
            super::issued::SecretKind::AccessToken,
            &crate::config::Secret::new(token.clone()),
        );
        self.tokens.insert(token.clone(), issued);
        Ok((token, lifetime))
    }

    /// A token issued with this world's key, read from the token itself.
    fn verify(&self, token: &str) -> Option<IssuedToken> {
        let (signed, signature) = token.rsplit_once('.')?;
        let (header, claims) = signed.split_once('.')?;
        let signature = B64.decode(signature).ok()?;
        let mut mac = self.mac();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature).ok()?;
        if B64.decode(header).ok()? != HEADER.as_bytes() {
            return None;
        }
        let claims: Claims = serde_json::from_slice(&B64.decode(claims).ok()?).ok()?;
        let principal = self.principals.get(&claims.appid.to_ascii_lowercase())?;
        Some(IssuedToken {
            client_id: principal.client_id.clone(),
            audience: audience_from(&claims.hm_aud)?,
            resource: claims.aud,
            expires_at: Utc.timestamp_opt(claims.exp, 0).single()?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimConfig;

    fn part(token: &str, i: usize) -> serde_json::Value {
        let text = B64.decode(token.split('.').nth(i).unwrap()).unwrap();
        serde_json::from_slice(&text).unwrap()
    }

    #[test]
    fn tokens_are_jwts_with_entra_claims() {
        let id = crate::sim::env::SimIdentity::for_port(7443);
        let mut w = World::new(&id, SimConfig::default(), [3; 32]);
        let now = Utc::now();
        let (token, lifetime) = w
            .issue_token(
                &id.client_id,
                id.client_secret.expose(),
                Audience::Storage,
                "https://storage.azure.com",
                now,
            )
            .unwrap();
        assert_eq!(token.split('.').count(), 3);
        assert_eq!(
            part(&token, 0),
            serde_json::json!({"alg":"HS256","typ":"JWT"})
        );
        let claims = part(&token, 1);
        assert_eq!(
            claims["iss"],
            format!("https://sts.windows.net/{}/", id.tenant_id)
        );
        assert_eq!(claims["aud"], "https://storage.azure.com");
        assert_eq!(claims["tid"], id.tenant_id.as_str());
        assert_eq!(claims["appid"], id.client_id.as_str());
        assert_eq!(claims["oid"], id.principal_object_id.as_str());
        assert_eq!(claims["exp"], now.timestamp() + lifetime);
        assert!(claims["nbf"].as_i64().unwrap() <= now.timestamp());
        assert_eq!(claims["iat"], now.timestamp());

        // Verified from the signature alone (a restarted world), for its audience only.
        let restarted = World::new(&id, SimConfig::default(), [3; 32]);
        let issued = restarted.bearer(&token, Audience::Storage, now).unwrap();
        assert_eq!(issued.resource, "https://storage.azure.com");
        assert!(matches!(
            restarted.bearer(&token, Audience::Arm, now),
            Err(BearerError::WrongAudience(_))
        ));
        // Claims changed after signing are refused.
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let mut forged = claims.clone();
        forged["hm_aud"] = "arm".into();
        parts[1] = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            restarted
                .bearer(&parts.join("."), Audience::Arm, now)
                .unwrap_err(),
            BearerError::Unknown
        );
    }
}
