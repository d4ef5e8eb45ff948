//! The authorization-code + PKCE flow for simulated users, as an OpenID Connect client drives it.

mod common;

use azure_sim::{SimOptions, WorldConfig};
use base64::Engine;
use serde_json::Value;
use sha2::Digest;

struct Flow {
    base: String,
    client: reqwest::Client,
    tenant: Value,
}

async fn start(auto_consent: bool) -> Flow {
    let config = WorldConfig {
        tenants: 1,
        arm_resources: 10,
        intune_policies: 6,
        auto_consent,
        ..WorldConfig::default()
    };
    let base = common::launch(config, SimOptions::default()).base;
    // The callback must be seen, not followed.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let tenants = common::tenants(&client, &base).await;
    Flow {
        base,
        client,
        tenant: tenants[0].clone(),
    }
}

const REDIRECT: &str = "http://127.0.0.1:8080/api/v1/auth/microsoft/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-long-enough-verifier";

fn challenge() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(VERIFIER.as_bytes()))
}

impl Flow {
    fn tid(&self) -> &str {
        self.tenant["tenant_id"].as_str().unwrap()
    }

    fn client_id(&self) -> &str {
        self.tenant["client_id"].as_str().unwrap()
    }

    /// Follows the authorize redirect and returns the query of the callback URL.
    async fn authorize(
        &self,
        login_hint: Option<&str>,
    ) -> std::collections::HashMap<String, String> {
        let mut url = url::Url::parse(&format!(
            "{}/{}/oauth2/v2.0/authorize",
            self.base,
            self.tid()
        ))
        .unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", self.client_id())
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid profile email offline_access")
            .append_pair("state", "state-123")
            .append_pair("nonce", "nonce-456")
            .append_pair("code_challenge", &challenge())
            .append_pair("code_challenge_method", "S256");
        if let Some(hint) = login_hint {
            url.query_pairs_mut().append_pair("login_hint", hint);
        }
        let response = self.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(REDIRECT), "{location}");
        location.query_pairs().into_owned().collect()
    }

    async fn redeem(&self, code: &str, verifier: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/{}/oauth2/v2.0/token", self.base, self.tid()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", self.client_id()),
                (
                    "client_secret",
                    self.tenant["client_secret"].as_str().unwrap(),
                ),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap()
    }
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[actix_web::test]
async fn a_user_signs_in_with_code_and_pkce_and_gets_a_verifiable_id_token() {
    let flow = start(true).await;
    let upn = flow.tenant["users"][2].as_str().unwrap().to_owned();
    let callback = flow.authorize(Some(&upn)).await;
    assert_eq!(callback["state"], "state-123");
    let code = callback["code"].clone();

    let response = flow.redeem(&code, VERIFIER).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    let id_token = tokens["id_token"].as_str().unwrap();

    let discovery: Value = flow
        .client
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            flow.base,
            flow.tid()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks: Value = flow
        .client
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwks["keys"][0]["n"].as_str().unwrap(),
        "AQAB",
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[flow.client_id()]);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    let verified = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("the ID token verifies")
        .claims;
    assert_eq!(verified["nonce"], "nonce-456");
    assert_eq!(verified["tid"], flow.tid());
    assert_eq!(verified["preferred_username"], upn.as_str());
    assert!(verified["oid"].is_string());

    // A code is single use; Entra says so (AADSTS54005) rather than calling it unknown.
    let again = flow.redeem(&code, VERIFIER).await;
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"][0], 54005);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS54005: OAuth2 Authorization code was already redeemed"));
    let unknown = flow.redeem("no-such-code", VERIFIER).await;
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error_codes"][0], 70008);
}

#[actix_web::test]
async fn a_code_is_refused_at_another_tenants_token_endpoint() {
    let config = WorldConfig {
        tenants: 2,
        arm_resources: 10,
        intune_policies: 6,
        ..WorldConfig::default()
    };
    let base = common::launch(config, SimOptions::default()).base;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let tenants = common::tenants(&client, &base).await;
    let flow = Flow {
        base,
        client,
        tenant: tenants[1].clone(),
    };
    let code = flow.authorize(None).await["code"].clone();
    // Redeemed at the first tenant's endpoint, as a client that started there would.
    let home = Flow {
        tenant: tenants[0].clone(),
        base: flow.base.clone(),
        client: flow.client.clone(),
    };
    let response = home.redeem(&code, VERIFIER).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"][0], 700005);
    // The code is spent.
    let body: Value = flow.redeem(&code, VERIFIER).await.json().await.unwrap();
    assert_eq!(body["error_codes"][0], 54005);
}

#[actix_web::test]
async fn a_wrong_code_verifier_is_refused() {
    let flow = start(true).await;
    let callback = flow.authorize(None).await;
    let response = flow
        .redeem(
            &callback["code"],
            "not-the-verifier-that-was-hashed-into-the-challenge",
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_codes"][0], 501481);
}

#[actix_web::test]
async fn refresh_tokens_rotate() {
    let flow = start(true).await;
    let callback = flow.authorize(None).await;
    let tokens: Value = flow
        .redeem(&callback["code"], VERIFIER)
        .await
        .json()
        .await
        .unwrap();
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| {
        let flow = &flow;
        async move {
            flow.client
                .post(format!("{}/{}/oauth2/v2.0/token", flow.base, flow.tid()))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", flow.client_id()),
                    (
                        "client_secret",
                        flow.tenant["client_secret"].as_str().unwrap(),
                    ),
                    ("refresh_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let response = refresh(first.clone()).await;
    assert_eq!(response.status(), 200);
    let renewed: Value = response.json().await.unwrap();
    assert_ne!(renewed["refresh_token"], first.as_str());
    assert_eq!(
        claims(renewed["access_token"].as_str().unwrap())["tid"],
        flow.tid()
    );
    assert_eq!(
        refresh(first).await.status(),
        400,
        "a used refresh token is refused"
    );
}

#[actix_web::test]
async fn without_auto_consent_the_callback_carries_consent_required() {
    let flow = start(false).await;
    let callback = flow.authorize(None).await;
    assert_eq!(callback["error"], "consent_required");
    assert_eq!(callback["state"], "state-123");
    assert!(!callback.contains_key("code"));
}

#[actix_web::test]
async fn an_unknown_user_hint_is_login_required() {
    let flow = start(true).await;
    let callback = flow.authorize(Some("nobody@example.com")).await;
    assert_eq!(callback["error"], "login_required");
}
