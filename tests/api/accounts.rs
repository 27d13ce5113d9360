//! Accounts and access: registration, sign-in, tokens, throttling, members, staff, and who may do
//! what.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, env, uscc};

fn registration(uscc: &str, kind: &str, email: &str) -> Value {
    json!({
        "organization": {"uscc": uscc, "name": "重庆山城电池有限公司", "kind": kind, "division_code": "500103",
                          "industry_code": "C3841", "address": "重庆市渝中区解放碑街道", "contact_phone": "023-63001234"},
        "user": {"email": email, "password": PASSWORD, "name": "王五"}
    })
}

#[tokio::test]
async fn registration_normalizes_the_uscc_and_makes_the_first_user_org_admin() {
    let app = TestApp::spawn().await;
    let code = uscc("91", "500103");
    let r = app
        .post("/api/v1/auth/register", None, registration(&code.to_lowercase(), "enterprise", "Boss@Example.CN"))
        .await;
    r.assert_status(201);
    assert_eq!(r.body["organization"]["uscc"], code);
    assert_eq!(r.body["user"]["role"], "org_admin");
    assert_eq!(r.body["user"]["email"], "boss@example.cn");
    assert!(r.body["user"].get("password_hash").is_none());

    let s = app.login("boss@example.cn", PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&s.token)).await;
    me.assert_status(200);
    assert_eq!(me.body["user"]["role"], "org_admin");
    assert_eq!(me.body["organization"]["uscc"], code);

    // audit: the registration is in the chain
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'organization.registered'"), 1);

    // the public profile shows no contacts and no users
    let p = app.get(&format!("/api/v1/organizations/{code}"), None).await;
    p.assert_status(200);
    assert_eq!(p.body["division_name"], "渝中区");
    assert_eq!(p.body["declarations"]["public"], 0);
    for secret in ["023-63001234", "解放碑", "boss@example.cn", "王五"] {
        assert!(!p.text.contains(secret), "public profile leaks {secret}: {}", p.text);
    }
    app.get("/api/v1/organizations/91350203M0001QAY9B", None).await.assert_status(404);

    // duplicates
    let r = app.post("/api/v1/auth/register", None, registration(&code, "enterprise", "other@example.cn")).await;
    r.assert_status(409);
    assert_eq!(r.error_code(), "duplicate_uscc");
    let r = app
        .post("/api/v1/auth/register", None, registration(&uscc("91", "500103"), "enterprise", "boss@example.cn"))
        .await;
    r.assert_status(409);
    assert_eq!(r.error_code(), "duplicate_email");
    assert_eq!(app.count("SELECT count(*) FROM organizations"), 1);
}

#[tokio::test]
async fn registration_refuses_bad_input_naming_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let cases: Vec<(Value, &str)> = vec![
        (registration("91350203M0001QAY9B", "enterprise", "a@example.cn"), "organization.uscc"),
        (registration("9135020", "enterprise", "a@example.cn"), "organization.uscc"),
        (registration(&uscc("51", "500103"), "enterprise", "a@example.cn"), "organization.uscc"),
        (registration(&uscc("91", "500103"), "social_organization", "a@example.cn"), "organization.uscc"),
        (registration(&uscc("91", "500103"), "shop", "a@example.cn"), "organization.kind"),
        (registration(&uscc("91", "500103"), "enterprise", "not-an-email"), "user.email"),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["division_code"] = json!("999999");
                r
            },
            "organization.division_code",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["division_code"] = json!("500221");
                r
            },
            "organization.division_code",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["industry_code"] = json!("C9999");
                r
            },
            "organization.industry_code",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["name"] = json!("重".repeat(101));
                r
            },
            "organization.name",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["user"]["password"] = json!("1234567890");
                r
            },
            "user.password",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["user"]["password"] = json!("short");
                r
            },
            "user.password",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["division_code"] = json!(500103);
                r
            },
            "organization.division_code",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"].as_object_mut().expect("object").remove("name");
                r
            },
            "organization.name",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["user"]["role"] = json!("regulator");
                r
            },
            "user.role",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["group_code"] = json!("CAS");
                r
            },
            "organization.group_code",
        ),
        (
            {
                let mut r = registration(&uscc("51", "500103"), "social_organization", "a@example.cn");
                r["organization"]["group_code"] = json!("GB");
                r
            },
            "organization.group_code",
        ),
        (
            {
                let mut r = registration(&uscc("51", "500103"), "social_organization", "a@example.cn");
                r["organization"]["group_code"] = json!("QC");
                r
            },
            "organization.group_code",
        ),
        (
            {
                let mut r = registration(&uscc("91", "500103"), "enterprise", "a@example.cn");
                r["organization"]["contact_phone"] = json!("call me");
                r
            },
            "organization.contact_phone",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/auth/register", None, body.clone()).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert!(r.error_fields().iter().any(|f| f == field), "expected {field} in {}", r.text);
        assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let r =
        app.post("/api/v1/auth/register", None, registration("91350203M0001QAY9B", "enterprise", "a@example.cn")).await;
    assert!(r.text.contains("应为“9”"), "check character named: {}", r.text);
    assert_eq!(app.count("SELECT count(*) FROM organizations"), 0);
    assert_eq!(app.count("SELECT count(*) FROM users"), 0);
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), 0);

    // a social organization with a proper group code registers
    let r = app
        .post("/api/v1/auth/register", None, {
            let mut r = registration(&uscc("51", "500103"), "social_organization", "assoc@example.cn");
            r["organization"]["group_code"] = json!("cqbzh");
            r
        })
        .await;
    r.assert_status(201);
    assert_eq!(r.body["organization"]["group_code"], "CQBZH");
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn forged_or_stale_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    app.get("/api/v1/me", Some(&org.admin.token)).await.assert_status(200);
    let now = chrono::Utc::now().timestamp();
    let claims = |aud: &str, iss: &str, exp: i64| json!({"iss": iss, "aud": aud, "sub": org.admin.user_id, "exp": exp, "iat": now, "role": "org_admin", "org": org.id});
    let secret = env().jwt_secret.as_bytes();
    let sign = |alg: Algorithm, key: &[u8], c: &Value| {
        jsonwebtoken::encode(&Header::new(alg), c, &EncodingKey::from_secret(key)).expect("encode")
    };
    let good = claims("stdreg-api", "stdreg", now + 600);
    assert_eq!(app.get("/api/v1/me", Some(&sign(Algorithm::HS256, secret, &good))).await.status, 200);

    let hs256_sig = sign(Algorithm::HS256, secret, &good);
    let sig = hs256_sig.rsplit('.').next().expect("sig");
    let forged: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&good))),
        ("alg none uppercase", format!("{}.{}.", b64(&json!({"alg": "NONE", "typ": "JWT"})), b64(&good))),
        ("HS512 with the right key", sign(Algorithm::HS512, secret, &good)),
        (
            "RS256 header on an HMAC signature",
            format!("{}.{}.{sig}", b64(&json!({"alg": "RS256", "typ": "JWT"})), b64(&good)),
        ),
        ("wrong key", sign(Algorithm::HS256, b"another-secret-another-secret-0123456789", &good)),
        ("wrong audience", sign(Algorithm::HS256, secret, &claims("other-app", "stdreg", now + 600))),
        ("wrong issuer", sign(Algorithm::HS256, secret, &claims("stdreg-api", "evil", now + 600))),
        ("expired", sign(Algorithm::HS256, secret, &claims("stdreg-api", "stdreg", now - 3600))),
        ("tampered claims", {
            let mut parts: Vec<String> = hs256_sig.split('.').map(String::from).collect();
            let mut c = good.clone();
            c["role"] = json!("sysadmin");
            parts[1] = b64(&c);
            parts.join(".")
        }),
        ("malformed", "not.a.jwt".to_string()),
        ("garbage", "Zm9vYmFy".to_string()),
        (
            "unknown user",
            sign(
                Algorithm::HS256,
                secret,
                &json!({"iss": "stdreg", "aud": "stdreg-api", "sub": uuid::Uuid::new_v4(), "exp": now + 600, "iat": now, "role": "sysadmin"}),
            ),
        ),
        (
            "role not held",
            sign(
                Algorithm::HS256,
                secret,
                &json!({"iss": "stdreg", "aud": "stdreg-api", "sub": org.admin.user_id, "exp": now + 600, "iat": now, "role": "sysadmin"}),
            ),
        ),
    ];
    for (what, token) in forged {
        let r = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(r.status, 401, "{what} was accepted: {}", r.text);
        assert_eq!(r.error_code(), "invalid_token", "{what}");
    }
    let r = app.send(app.client.get(format!("{}/api/v1/me", app.address)).header("authorization", "Basic abc")).await;
    r.assert_status(401);
    let r = app.get("/api/v1/me", None).await;
    r.assert_status(401);
    assert_eq!(r.error_code(), "unauthorized");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let first = org.admin.refresh_token.clone();
    let r = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    r.assert_status(200);
    let second = r.body["refresh_token"].as_str().expect("rotated").to_string();
    assert_ne!(second, first);
    let access = r.body["access_token"].as_str().expect("access").to_string();
    app.get("/api/v1/me", Some(&access)).await.assert_status(200);

    // reusing the first token (already rotated) revokes the whole family, including `second`
    let r = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": first})).await;
    r.assert_status(401);
    assert_eq!(r.error_code(), "refresh_token_reused");
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": second})).await.assert_status(401);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'session.refresh_token_reused'"), 1);

    // logout revokes
    let s = app.login(&org.admin.email, PASSWORD).await;
    app.post("/api/v1/auth/logout", None, json!({"refresh_token": s.refresh_token})).await.assert_status(204);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh_token})).await.assert_status(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": "rt_unknown"})).await.assert_status(401);

    // expired refresh tokens are refused
    let s = app.login(&org.admin.email, PASSWORD).await;
    app.state.clock.advance(chrono::Duration::days(31));
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s.refresh_token})).await.assert_status(401);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_per_ip() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    for _ in 0..4 {
        let r = app
            .post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": "wrong-password-1"}))
            .await;
        r.assert_status(401);
        assert_eq!(r.error_code(), "invalid_credentials");
    }
    // unknown accounts answer exactly like wrong passwords
    let r = app
        .post("/api/v1/auth/login", None, json!({"email": "nobody@example.cn", "password": "wrong-password-1"}))
        .await;
    r.assert_status(401);
    assert_eq!(r.error_code(), "invalid_credentials");

    let r =
        app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": "wrong-password-1"})).await;
    r.assert_status(401);
    // the account is now throttled: even the right password waits
    let r = app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": PASSWORD})).await;
    r.assert_status(429);
    assert_eq!(r.error_code(), "rate_limited");
    let retry: i64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");

    // the block is short and bounded; afterwards the right password works and resets the counter
    app.state.clock.advance(chrono::Duration::seconds(retry + 1));
    app.login(&org.admin.email, PASSWORD).await;
    assert_eq!(app.count(&format!("SELECT count(*) FROM login_throttle WHERE key = 'acct:{}'", org.admin.email)), 0);

    // per IP: many accounts from one address. Six failures from this address were counted above.
    let mut failures_from_ip = 6;
    let mut throttled = false;
    for i in 0..40 {
        let r = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": format!("probe{i}@example.cn"), "password": "wrong-password-1"}),
            )
            .await;
        if r.status == 429 {
            throttled = true;
            assert!(r.header("retry-after").is_some());
            break;
        }
        assert_eq!(r.status, 401, "attempt {i}");
        failures_from_ip += 1;
    }
    assert!(throttled, "the address was never throttled");
    assert_eq!(failures_from_ip, 30, "the address is throttled after 30 failures in the window");
    let r = app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": PASSWORD})).await;
    r.assert_status(429);
}

#[tokio::test]
async fn api_tokens_are_shown_once_usable_revocable_and_expire() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let r =
        app.post("/api/v1/tokens", Some(&org.admin.token), json!({"name": "ERP 对接", "expires_in_days": 30})).await;
    r.assert_status(201);
    let token = r.body["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("stdreg_"));
    let id = r.id();

    let me = app.get("/api/v1/me", Some(&token)).await;
    me.assert_status(200);
    assert_eq!(me.body["organization"]["uscc"], org.uscc);
    assert_eq!(me.body["api_token_id"], id.to_string());

    let list = app.get("/api/v1/tokens", Some(&org.admin.token)).await;
    list.assert_status(200);
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(1));
    assert!(!list.text.contains(&token), "the list never shows the secret");
    assert_eq!(app.count(&format!("SELECT count(*) FROM api_tokens WHERE token_hash = '{token}'")), 0, "stored hashed");

    // an API token acts for the organization, not as its administrator
    app.post("/api/v1/tokens", Some(&token), json!({"name": "x"})).await.assert_status(403);

    // expiry
    app.state.clock.advance(chrono::Duration::days(31));
    let r = app.get("/api/v1/me", Some(&token)).await;
    r.assert_status(401);
    assert!(r.text.contains("过期"));

    // revocation
    let admin = app.login(&org.admin.email, PASSWORD).await;
    let r = app.post("/api/v1/tokens", Some(&admin.token), json!({"name": "第二个"})).await;
    let token2 = r.body["token"].as_str().expect("token").to_string();
    app.get("/api/v1/me", Some(&token2)).await.assert_status(200);
    app.delete(&format!("/api/v1/tokens/{}", r.id()), Some(&admin.token)).await.assert_status(204);
    app.get("/api/v1/me", Some(&token2)).await.assert_status(401);
    app.get("/api/v1/me", Some("stdreg_forged")).await.assert_status(401);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action LIKE 'api_token.%'"), 3);

    // bad input
    let r = app.post("/api/v1/tokens", Some(&admin.token), json!({"name": "", "expires_in_days": 0})).await;
    r.assert_status(422);
    assert!(
        r.error_fields().contains(&"name".to_string()) && r.error_fields().contains(&"expires_in_days".to_string())
    );
    let r = app.post("/api/v1/tokens", Some(&admin.token), json!({"name": "x", "expires_in_days": "soon"})).await;
    r.assert_status(422);
    assert_eq!(r.error_fields(), vec!["expires_in_days"]);
}

#[tokio::test]
async fn members_are_managed_by_their_own_admin_only() {
    let app = TestApp::spawn().await;
    let a = app.enterprise("500103").await;
    let b = app.enterprise("500104").await;
    let r = app
        .post(
            "/api/v1/organizations/me/members",
            Some(&a.admin.token),
            json!({"email": "staff@a.cn", "password": PASSWORD, "name": "赵六", "role": "org_member"}),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.body["user"]["role"], "org_member");
    let member_id = r.body["user"]["id"].as_str().expect("id").to_string();
    let member = app.login("staff@a.cn", PASSWORD).await;

    // a member is not an admin
    app.post(
        "/api/v1/organizations/me/members",
        Some(&member.token),
        json!({"email": "x@a.cn", "password": PASSWORD, "name": "x", "role": "org_admin"}),
    )
    .await
    .assert_status(403);
    app.get("/api/v1/tokens", Some(&member.token)).await.assert_status(403);
    // B's admin cannot see or remove A's members or tokens
    let tok = app.post("/api/v1/tokens", Some(&a.admin.token), json!({"name": "a's"})).await;
    let b_tokens = app.get("/api/v1/tokens", Some(&b.admin.token)).await;
    assert_eq!(b_tokens.body["items"].as_array().map(Vec::len), Some(0));
    app.delete(&format!("/api/v1/tokens/{}", tok.id()), Some(&b.admin.token)).await.assert_status(404);
    app.delete(&format!("/api/v1/organizations/me/members/{member_id}"), Some(&b.admin.token)).await.assert_status(404);
    let members_b = app.get("/api/v1/organizations/me/members", Some(&b.admin.token)).await;
    assert!(!members_b.text.contains("staff@a.cn"));

    // a regulator is not an organization
    let reg = app.regulator("500103").await;
    app.post("/api/v1/tokens", Some(&reg.token), json!({"name": "x"})).await.assert_status(403);
    app.get("/api/v1/organizations/me/members", Some(&reg.token)).await.assert_status(403);

    // removing a member ends their sessions at once
    app.delete(&format!("/api/v1/organizations/me/members/{member_id}"), Some(&a.admin.token)).await.assert_status(204);
    app.get("/api/v1/me", Some(&member.token)).await.assert_status(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": member.refresh_token})).await.assert_status(401);
    app.post("/api/v1/auth/login", None, json!({"email": "staff@a.cn", "password": PASSWORD})).await.assert_status(401);
    let r = app.delete(&format!("/api/v1/organizations/me/members/{}", a.admin.user_id), Some(&a.admin.token)).await;
    r.assert_status(409);

    // bad input names the field and writes nothing
    let users_before = app.count("SELECT count(*) FROM users");
    for (body, field) in [
        (json!({"email": "bad", "password": PASSWORD, "name": "x", "role": "org_member"}), "email"),
        (json!({"email": "ok@a.cn", "password": "short", "name": "x", "role": "org_member"}), "password"),
        (json!({"email": "ok@a.cn", "password": PASSWORD, "name": "x", "role": "regulator"}), "role"),
        (json!({"email": "ok@a.cn", "password": PASSWORD, "name": "", "role": "org_member"}), "name"),
        (json!({"email": "ok@a.cn", "password": PASSWORD, "role": "org_member"}), "name"),
    ] {
        let r = app.post("/api/v1/organizations/me/members", Some(&a.admin.token), body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert!(r.error_fields().contains(&field.to_string()), "{field}: {}", r.text);
    }
    assert_eq!(app.count("SELECT count(*) FROM users"), users_before);
}

#[tokio::test]
async fn staff_accounts_come_only_from_sysadmins() {
    let app = TestApp::spawn().await;
    let admin = app.sysadmin().await;
    let org = app.enterprise("500103").await;
    let body = json!({"email": "reg@samr.cn", "password": PASSWORD, "name": "监管员", "role": "regulator", "jurisdiction": "500103"});
    app.post("/api/v1/admin/users", Some(&org.admin.token), body.clone()).await.assert_status(403);
    app.post("/api/v1/admin/users", None, body.clone()).await.assert_status(401);
    let r = app.post("/api/v1/admin/users", Some(&admin.token), body).await;
    r.assert_status(201);
    assert_eq!(r.body["user"]["jurisdiction"], "500103");
    let reg = app.login("reg@samr.cn", PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&reg.token)).await;
    assert_eq!(me.body["user"]["role"], "regulator");
    assert!(me.body.get("organization").is_none());
    app.post(
        "/api/v1/admin/users",
        Some(&reg.token),
        json!({"email": "r2@samr.cn", "password": PASSWORD, "name": "x", "role": "sysadmin"}),
    )
    .await
    .assert_status(403);

    for (body, field) in [
        (json!({"email": "r3@samr.cn", "password": PASSWORD, "name": "x", "role": "regulator"}), "jurisdiction"),
        (
            json!({"email": "r3@samr.cn", "password": PASSWORD, "name": "x", "role": "regulator", "jurisdiction": "999999"}),
            "jurisdiction",
        ),
        (
            json!({"email": "r3@samr.cn", "password": PASSWORD, "name": "x", "role": "sysadmin", "jurisdiction": "500000"}),
            "jurisdiction",
        ),
        (json!({"email": "r3@samr.cn", "password": PASSWORD, "name": "x", "role": "org_admin"}), "role"),
    ] {
        let r = app.post("/api/v1/admin/users", Some(&admin.token), body).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert!(r.error_fields().contains(&field.to_string()), "{}", r.text);
    }
    let r = app
        .post(
            "/api/v1/admin/users",
            Some(&admin.token),
            json!({"email": "reg@samr.cn", "password": PASSWORD, "name": "x", "role": "sysadmin"}),
        )
        .await;
    r.assert_status(409);
}

#[test]
fn the_first_sysadmin_is_created_by_the_command_line() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let app = rt.block_on(TestApp::spawn());
    let e = env();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args([
            "admin",
            "create-user",
            "--email",
            "root@samr.cn",
            "--password-stdin",
            "--name",
            "运维",
            "--role",
            "sysadmin",
        ])
        .env("STDREG_DATABASE_URL", crate::helpers::db_url(&app.db_name))
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    rt.block_on(async {
        let s = app.login("root@samr.cn", PASSWORD).await;
        let me = app.get("/api/v1/me", Some(&s.token)).await;
        assert_eq!(me.body["user"]["role"], "sysadmin");
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"))
        .args([
            "admin",
            "create-user",
            "--email",
            "x@samr.cn",
            "--password-stdin",
            "--name",
            "x",
            "--role",
            "regulator",
        ])
        .env("STDREG_DATABASE_URL", crate::helpers::db_url(&app.db_name))
        .env("STDREG_MEILI_URL", &e.meili_url)
        .env("STDREG_JWT_SECRET", &e.jwt_secret)
        .env("STDREG_COMPLAINT_KEYS", &e.complaint_keys)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("jurisdiction"));
    rt.block_on(async move { drop(app) });
}

#[tokio::test]
async fn openapi_lists_the_account_endpoints() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    let paths = r.body["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/organizations/me/members",
        "/api/v1/organizations/me/members/{user_id}",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/admin/users",
        "/api/v1/organizations/{uscc}",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    assert!(r.body["components"]["schemas"]["RegisterRequest"].is_object());
}
