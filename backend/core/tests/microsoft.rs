//! The domain side of Microsoft sign-in: sign-ins in progress and hand-off codes expire and work
//! once, secrets are stored hashed or encrypted, and the rule that links or provisions users.

use chrono::Duration;
use diesel::prelude::*;
use drift_core::auth::microsoft::{
    self, Linked, MicrosoftIdentity, MicrosoftTokens, NewLogin, HANDOFF_TTL_SECONDS,
    LOGIN_TTL_SECONDS,
};
use drift_core::auth::{AuthError, JwtKeys, SessionPolicy};
use drift_core::crypto::KeyRing;
use drift_core::db::schema::microsoft_logins;
use drift_core::tenants::{self, TenantInput};
use drift_core::users::{self, UserInput};
use drift_core::{roles, CoreError, UtcTime};
use drift_testing::TestDb;

const OID: &str = "4a1f5e3c-2b6d-4c8e-9f01-23456789abcd";

fn at(now: UtcTime, seconds: i64) -> UtcTime {
    UtcTime::new(now.get() + Duration::seconds(seconds))
}

fn tenant(conn: &mut drift_core::db::DbConnection, n: u32) -> i64 {
    let input = TenantInput {
        name: format!("Tenant {n}"),
        azure_tenant_id: format!("00000000-0000-4000-8000-{n:012}"),
    };
    tenants::create(conn, &input, UtcTime::now()).unwrap().id
}

fn identity(oid: &str, upn: &str) -> MicrosoftIdentity {
    MicrosoftIdentity {
        object_id: oid.to_owned(),
        email: None,
        preferred_username: Some(upn.to_owned()),
        given_name: Some("Adele".into()),
        family_name: Some("Vance".into()),
    }
}

fn tokens() -> MicrosoftTokens {
    MicrosoftTokens {
        access_token: "access".into(),
        refresh_token: Some("refresh".into()),
        expires_at: None,
    }
}

fn is_auth(err: &CoreError, expected: AuthError) -> bool {
    matches!(err, CoreError::Auth(reason) if *reason == expected)
}

#[test]
fn a_sign_in_in_progress_works_once_within_ten_minutes() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let ring = KeyRing::generate();
        let tenant_id = tenant(&mut conn, 1);
        let now = UtcTime::now();
        let login = |state: &'static str| NewLogin {
            state,
            nonce: "nonce-1",
            pkce_verifier: "verifier-that-is-secret",
        };
        microsoft::begin_login(&mut conn, &ring, tenant_id, &login("state-a"), now).unwrap();
        microsoft::begin_login(&mut conn, &ring, tenant_id, &login("state-b"), now).unwrap();

        // Nothing is stored in the clear.
        let stored: Vec<(String, String, String)> = microsoft_logins::table
            .select((
                microsoft_logins::state_hash,
                microsoft_logins::nonce_hash,
                microsoft_logins::pkce_verifier,
            ))
            .load(&mut *conn)
            .unwrap();
        for (state, nonce, verifier) in &stored {
            assert!(!state.contains("state-") && !nonce.contains("nonce-"));
            assert!(verifier.starts_with("v1:") && !verifier.contains("secret"));
        }

        let pending =
            microsoft::take_login(&mut conn, &ring, "state-a", at(now, LOGIN_TTL_SECONDS - 1))
                .unwrap();
        assert_eq!(pending.tenant.id, tenant_id);
        assert_eq!(pending.pkce_verifier, "verifier-that-is-secret");
        assert!(pending.nonce_matches("nonce-1") && !pending.nonce_matches("nonce-2"));
        let again = microsoft::take_login(&mut conn, &ring, "state-a", now).unwrap_err();
        assert!(is_auth(&again, AuthError::UnknownSignIn), "{again:?}");
        let late = microsoft::take_login(&mut conn, &ring, "state-b", at(now, LOGIN_TTL_SECONDS))
            .unwrap_err();
        assert!(is_auth(&late, AuthError::UnknownSignIn), "{late:?}");

        // Starting a sign-in clears the expired ones.
        microsoft::begin_login(&mut conn, &ring, tenant_id, &login("state-c"), now).unwrap();
        microsoft::begin_login(
            &mut conn,
            &ring,
            tenant_id,
            &login("state-d"),
            at(now, LOGIN_TTL_SECONDS + 1),
        )
        .unwrap();
        let left: i64 = microsoft_logins::table
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(left, 1, "{:?}", db.url());
    }
}

#[test]
fn a_handoff_code_works_once_within_sixty_seconds() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let ring = KeyRing::generate();
        let keys = JwtKeys::from_secret(&[3u8; 32]).unwrap();
        let policy = SessionPolicy::default();
        let tenant_id = tenant(&mut conn, 1);
        let now = UtcTime::now();
        let first = microsoft::complete_sign_in(
            &mut conn,
            &ring,
            tenant_id,
            &identity(OID, "adele@contoso.com"),
            &tokens(),
            now,
        )
        .unwrap();
        let (user, session) = microsoft::redeem_handoff(
            &mut conn,
            &keys,
            &policy,
            &first.handoff,
            at(now, HANDOFF_TTL_SECONDS - 1),
        )
        .unwrap();
        assert_eq!(user.id, first.user.id);
        assert!(keys.verify(&session.access_token).is_ok());
        let again =
            microsoft::redeem_handoff(&mut conn, &keys, &policy, &first.handoff, now).unwrap_err();
        assert!(is_auth(&again, AuthError::InvalidHandoff), "{again:?}");

        let second = microsoft::complete_sign_in(
            &mut conn,
            &ring,
            tenant_id,
            &identity(OID, "adele@contoso.com"),
            &tokens(),
            now,
        )
        .unwrap();
        let late = microsoft::redeem_handoff(
            &mut conn,
            &keys,
            &policy,
            &second.handoff,
            at(now, HANDOFF_TTL_SECONDS),
        )
        .unwrap_err();
        assert!(is_auth(&late, AuthError::InvalidHandoff), "{late:?}");
    }
}

#[test]
fn accounts_are_linked_by_object_id_then_email_else_provisioned() {
    for make_db in TestDb::each() {
        let db = make_db();
        let mut conn = db.conn();
        let ring = KeyRing::generate();
        let (a, b) = (tenant(&mut conn, 1), tenant(&mut conn, 2));
        let now = UtcTime::now();
        let operator = roles::find_by_name(&mut conn, "operator").unwrap().unwrap();
        let local = |username: &str, email: &str, microsoft_id: Option<&str>| UserInput {
            username: username.into(),
            email: email.into(),
            first_name: None,
            last_name: None,
            role_id: operator.id,
            active: true,
            microsoft_id: microsoft_id.map(str::to_owned),
            password: None,
        };
        let sign_in =
            |conn: &mut drift_core::db::DbConnection, tenant_id: i64, who: &MicrosoftIdentity| {
                microsoft::complete_sign_in(conn, &ring, tenant_id, who, &tokens(), now)
            };

        // The `email` claim is preferred to preferred_username, case-insensitively.
        let linked = users::create(
            &mut conn,
            a,
            &local("megan", "Megan@Contoso.com", None),
            now,
        )
        .unwrap();
        let who = MicrosoftIdentity {
            email: Some("megan@contoso.com".into()),
            ..identity(OID, "megan.bowen@contoso.onmicrosoft.com")
        };
        let outcome = sign_in(&mut conn, a, &who).unwrap();
        assert_eq!(
            (outcome.user.id, outcome.linked),
            (linked.id, Linked::ByEmail)
        );
        assert_eq!(outcome.user.microsoft_id.as_deref(), Some(OID));
        let outcome = sign_in(&mut conn, a, &who).unwrap();
        assert_eq!(
            (outcome.user.id, outcome.linked),
            (linked.id, Linked::ByObjectId)
        );

        // The same account through another tenant is refused.
        let err = sign_in(&mut conn, b, &who).err().unwrap();
        assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");

        // A user whose address matches but who is linked to another account is not taken over.
        let other = "5b2f6e4d-3c7e-4d9f-8a12-3456789abcde";
        users::create(
            &mut conn,
            a,
            &local("lee", "lee@contoso.com", Some(other)),
            now,
        )
        .unwrap();
        let err = sign_in(
            &mut conn,
            a,
            &identity("6c3a7f5e-4d8f-4ea0-9b23-456789abcdef", "lee@contoso.com"),
        )
        .err()
        .unwrap();
        assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");

        // A user of another tenant with the address is not matched either.
        users::create(&mut conn, b, &local("joni", "joni@fabrikam.com", None), now).unwrap();
        let err = sign_in(
            &mut conn,
            a,
            &identity("7d4b8a6f-5e9a-4fb1-8c34-56789abcdef0", "joni@fabrikam.com"),
        )
        .err()
        .unwrap();
        assert!(matches!(err, CoreError::Conflict(_)), "{err:?}");

        // Provisioned users are viewers named after preferred_username; a taken name gets a
        // part of the object id.
        users::create(
            &mut conn,
            b,
            &local("alex@contoso.com", "alex.other@fabrikam.com", None),
            now,
        )
        .unwrap();
        let alex = "8e5c9b7a-6f0b-4ac2-9d45-6789abcdef01";
        let outcome = sign_in(&mut conn, a, &identity(alex, "alex@contoso.com")).unwrap();
        assert_eq!(outcome.linked, Linked::Provisioned);
        assert_eq!(outcome.user.role, "viewer");
        assert_eq!(outcome.user.username, "alex@contoso.com-8e5c9b7a");
        assert_eq!(outcome.user.email, "alex@contoso.com");
        assert_eq!(outcome.user.first_name.as_deref(), Some("Adele"));
        assert!(!outcome.user.has_password);

        // Without any e-mail address there is nobody to create.
        let err = sign_in(
            &mut conn,
            a,
            &MicrosoftIdentity {
                object_id: "9f6dac8b-7a1c-4bd3-8e56-789abcdef012".into(),
                ..MicrosoftIdentity::default()
            },
        )
        .err()
        .unwrap();
        assert!(
            matches!(err, CoreError::Auth(AuthError::Microsoft(_))),
            "{err:?}"
        );
    }
}
