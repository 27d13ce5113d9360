//! HTML-level tests of the consoles (no browser): sessions (sign-in through the API's rule,
//! throttling, sign-out, expiry, revocation by a password change), access rules (roles,
//! jurisdictions), CSRF refusal on every console form, and field errors that keep what was typed.

use std::collections::BTreeMap;

use serde_json::json;

use super::{assert_security_headers, h1_count};
use crate::declarations::{create, publish};
use crate::helpers::{PASSWORD, Resp, TestApp};

/// A browser without a browser: keeps cookies, reads the CSRF token of the last page.
pub struct WebClient<'a> {
    app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

impl<'a> WebClient<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookies: BTreeMap::new(), csrf: String::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, r: &Resp) {
        for v in r.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((k, val)) = pair.split_once('=') {
                if val.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
        if let Some(t) = r.text.split("name=\"csrf_token\" value=\"").nth(1).and_then(|s| s.split('"').next()) {
            self.csrf = t.to_string();
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let rb = self.app.raw(reqwest::Method::GET, path, None).await.header("cookie", self.cookie_header());
        let r = self.app.send(rb).await;
        self.keep(&r);
        r
    }

    /// Posts a form as typed, with the current CSRF token unless `csrf` is false.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)], csrf: bool) -> Resp {
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        let token = self.csrf.clone();
        if csrf {
            pairs.push(("csrf_token", &token));
        }
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let rb = self
            .app
            .raw(reqwest::Method::POST, path, None)
            .await
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.cookie_header())
            .body(body);
        let r = self.app.send(rb).await;
        self.keep(&r);
        r
    }

    /// Signs in through `/login`; asserts the redirect to `home`.
    pub async fn sign_in(&mut self, email: &str, password: &str, home: &str) {
        self.get("/login").await.assert_status(200);
        let r = self.post("/login", &[("email", email), ("password", password)], true).await;
        assert_eq!(r.status, 303, "sign-in: {}", r.text);
        assert_eq!(r.header("location").as_deref(), Some(home));
    }
}

fn location(r: &Resp) -> String {
    r.header("location").unwrap_or_default()
}

#[tokio::test]
async fn sessions_use_the_api_login_rules_and_end_at_sign_out() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut web = WebClient::new(&app);

    // without a session: to the sign-in page, and back afterwards
    let r = web.get("/console/declarations?status=draft").await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login?next=%2Fconsole%2Fdeclarations%3Fstatus%3Ddraft");

    // a wrong password: the sign-in page again (401), nothing set
    let login = web.get("/login").await;
    assert_eq!(h1_count(&login.text), 1);
    assert_security_headers(&login, "/login");
    let r = web.post("/login", &[("email", &org.admin.email), ("password", "wrong-password-1")], true).await;
    assert_eq!(r.status, 401);
    assert!(r.text.contains("邮箱或密码不正确"), "{}", r.text);
    assert!(!web.cookies.contains_key("stdreg_session"));

    // the right one: a session cookie (HttpOnly, SameSite=Lax), stored hashed
    let r = web
        .post(
            "/login",
            &[("email", &org.admin.email), ("password", PASSWORD), ("next", "/console/declarations?status=draft")],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(location(&r), "/console/declarations?status=draft");
    let set =
        r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or_default().to_string()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("stdreg_session=")).expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain HTTP here: {session}");
    let secret = web.cookies["stdreg_session"].clone();
    assert_eq!(app.count(&format!("SELECT count(*) FROM web_sessions WHERE token_hash = '{secret}'")), 0);
    assert_eq!(app.count("SELECT count(*) FROM web_sessions WHERE revoked_at IS NULL"), 1);

    let home = web.get("/console").await;
    home.assert_status(200);
    assert_security_headers(&home, "/console");
    assert!(home.text.contains("企业控制台") && home.text.contains("退出登录"));
    assert_eq!(home.header("cache-control").as_deref(), Some("no-store"));
    // signed in, /login leads to the console
    assert_eq!(location(&web.get("/login").await), "/console");
    // an open redirect is not followed
    let mut other = WebClient::new(&app);
    other.get("/login").await;
    let r = other
        .post("/login", &[("email", &org.admin.email), ("password", PASSWORD), ("next", "//evil.example/x")], true)
        .await;
    assert_eq!(location(&r), "/console");

    // sign-out revokes the session server-side: the old cookie no longer works
    let r = web.post("/logout", &[], true).await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login?signed_out=1");
    assert!(!web.cookies.contains_key("stdreg_session"), "the cookie is cleared");
    let mut replay = WebClient::new(&app);
    replay.cookies.insert("stdreg_session".into(), secret);
    let r = replay.get("/console").await;
    assert_eq!(r.status, 303, "a signed-out cookie no longer works");
    assert!(location(&r).starts_with("/login"));
    assert_eq!(app.count("SELECT count(*) FROM web_sessions WHERE revoked_at IS NOT NULL"), 1);

    // throttling is the API's: five failures block the account for the console and the API alike
    let mut attacker = WebClient::new(&app);
    attacker.get("/login").await;
    for _ in 0..5 {
        attacker.post("/login", &[("email", &org.admin.email), ("password", "wrong-password-1")], true).await;
    }
    let r = attacker.post("/login", &[("email", &org.admin.email), ("password", PASSWORD)], true).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.header("retry-after").is_some());
    assert!(r.text.contains("登录失败次数过多"));
    let api = app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": PASSWORD})).await;
    assert_eq!(api.status, 429, "the API sees the same count");
}

#[tokio::test]
async fn sessions_expire_and_a_password_change_ends_the_others() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut a = WebClient::new(&app);
    a.sign_in(&org.admin.email, PASSWORD, "/console").await;
    // idle for longer than the idle limit: signed out
    app.state.clock.advance(chrono::Duration::hours(3));
    let r = a.get("/console").await;
    assert_eq!(r.status, 303, "an expired session no longer works");
    a.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let mut b = WebClient::new(&app);
    b.sign_in(&org.admin.email, PASSWORD, "/console").await;

    a.get("/account/password").await.assert_status(200);
    // wrong current password, then a weak new one: field errors next to the fields
    let r = a
        .post(
            "/account/password",
            &[("current_password", "nope-nope-nope"), ("new_password", "x"), ("confirm_password", "x")],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains(r#"id="f-current_password-err""#) && r.text.contains("当前密码不正确"), "{}", r.text);
    let r = a
        .post(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", "short"), ("confirm_password", "short")],
            true,
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains(r#"id="f-new_password-err""#) && r.text.contains("密码至少 10 个字符"), "{}", r.text);
    let new = "渝中区标准化-2027!";
    let r = a
        .post(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", new), ("confirm_password", new)],
            true,
        )
        .await;
    r.assert_status(200);
    assert!(r.text.contains("密码已修改"));
    // this session goes on; the other session and the API refresh token end
    a.get("/console").await.assert_status(200);
    assert_eq!(b.get("/console").await.status, 303, "the other session was revoked");
    let refresh = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": org.admin.refresh_token})).await;
    assert_eq!(refresh.status, 401);
    assert_eq!(
        app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": PASSWORD})).await.status,
        401
    );
    app.post("/api/v1/auth/login", None, json!({"email": org.admin.email, "password": new})).await.assert_status(200);
    assert_eq!(app.count("SELECT count(*) FROM audit_events WHERE action = 'user.password_changed'"), 1);
}

#[tokio::test]
async fn roles_and_jurisdictions_decide_what_a_session_may_open() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500104").await;
    let d = create(
        &app,
        &org,
        json!({"kind": "product", "standard": {"number": "Q/JLP 001-2025", "title": "九龙坡面条"},
               "products": [{"name": "挂面"}], "indicators": [{"name": "水分", "value": 14.5, "unit": "%", "comparator": "<="}]}),
    )
    .await;
    let id = d["id"].as_str().expect("id").to_string();
    publish(&app, &org, &id).await;
    let filed = app
        .post(
            "/api/v1/complaints",
            None,
            json!({"target": {"declaration_id": id}, "category": "false_indicator", "description": "实测水分明显高于声明的 14.5%。"}),
        )
        .await;
    filed.assert_status(201);
    let complaint: String = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT id::text AS id FROM complaints")
            .get_result::<Id>(&mut app.db())
            .expect("complaint")
            .id
    };

    // an enterprise session: the regulator and admin pages are a 403 page
    let mut ent = WebClient::new(&app);
    ent.sign_in(&org.admin.email, PASSWORD, "/console").await;
    for path in [
        "/regulator",
        "/regulator/campaigns",
        "/regulator/complaints",
        &format!("/regulator/complaints/{complaint}"),
        "/admin",
        "/admin/users",
    ] {
        let r = ent.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(r.text.contains("没有打开这个页面的权限"), "{path}");
        assert_eq!(h1_count(&r.text), 1, "{path}");
    }
    // another organization's declaration is not found
    let other = app.enterprise("500104").await;
    let mut ent2 = WebClient::new(&app);
    ent2.sign_in(&other.admin.email, PASSWORD, "/console").await;
    assert_eq!(ent2.get(&format!("/console/declarations/{id}")).await.status, 404);
    ent.get(&format!("/console/declarations/{id}")).await.assert_status(200);

    // a regulator of 500103 cannot open a complaint of 500104; one of 500104 can
    let r103 = app.regulator("500103").await;
    let mut reg = WebClient::new(&app);
    reg.sign_in(&r103.email, PASSWORD, "/regulator").await;
    assert_eq!(reg.get(&format!("/regulator/complaints/{complaint}")).await.status, 404);
    assert!(!reg.get("/regulator/complaints").await.text.contains(&complaint));
    assert_eq!(reg.get("/console").await.status, 403, "regulators have no organization console");
    let r104 = app.regulator("500104").await;
    let mut reg4 = WebClient::new(&app);
    reg4.sign_in(&r104.email, PASSWORD, "/regulator").await;
    let page = reg4.get(&format!("/regulator/complaints/{complaint}")).await;
    page.assert_status(200);
    assert!(page.text.contains("实测水分明显高于"));
    let queue = reg4.get("/regulator/complaints").await;
    assert!(queue.text.contains(&complaint) && queue.text.contains("个工作日"), "deadlines in working days");
    // 500103 cannot accept it either (the service decides; the page says not found)
    let r = reg.post(&format!("/regulator/complaints/{complaint}/accept"), &[], true).await;
    assert_eq!(r.status, 404);
    // a sysadmin reaches the admin pages, not the regulators'
    let admin = app.sysadmin().await;
    let mut sys = WebClient::new(&app);
    sys.sign_in(&admin.email, PASSWORD, "/admin").await;
    sys.get("/admin/audit").await.assert_status(200);
    assert_eq!(sys.get("/regulator").await.status, 403);
}

#[tokio::test]
async fn every_console_form_refuses_a_post_without_a_valid_csrf_token() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let reg = app.regulator("500103").await;
    let admin = app.sysadmin().await;
    let x = uuid::Uuid::now_v7();
    let org_posts = vec![
        "/console/declarations/new".to_string(),
        format!("/console/declarations/{x}/edit"),
        format!("/console/declarations/{x}/publish"),
        format!("/console/declarations/{x}/revise"),
        format!("/console/declarations/{x}/withdraw"),
        format!("/console/inspections/{x}/response"),
        "/console/members".to_string(),
        format!("/console/members/{x}/remove"),
        "/console/tokens".to_string(),
        format!("/console/tokens/{x}/revoke"),
        "/account/password".to_string(),
        "/logout".to_string(),
    ];
    let reg_posts = vec![
        "/regulator/campaigns/new".to_string(),
        format!("/regulator/campaigns/{x}/draw"),
        format!("/regulator/campaigns/{x}/close"),
        format!("/regulator/inspections/{x}/result"),
        format!("/regulator/inspections/{x}/close"),
        format!("/regulator/complaints/{x}/accept"),
        format!("/regulator/complaints/{x}/reject"),
        format!("/regulator/complaints/{x}/assign"),
        format!("/regulator/complaints/{x}/extend"),
        format!("/regulator/complaints/{x}/conclude"),
        format!("/regulator/complaints/{x}/reveal"),
        "/regulator/flags".to_string(),
        format!("/regulator/flags/{x}/resolve"),
    ];
    let admin_posts = vec!["/admin/users".to_string(), "/admin/reindex".to_string()];
    for (email, home, posts) in [
        (&org.admin.email, "/console", org_posts),
        (&reg.email, "/regulator", reg_posts),
        (&admin.email, "/admin", admin_posts),
    ] {
        let mut web = WebClient::new(&app);
        web.sign_in(email, PASSWORD, home).await;
        for path in &posts {
            let r = web.post(path, &[("name", "x")], false).await;
            assert_eq!(r.status, 403, "{path} without a token: {}", r.text);
            assert!(r.text.contains("页面已过期"), "{path}: the CSRF page");
            let r = web.post(path, &[("name", "x"), ("csrf_token", "0011223344")], false).await;
            assert_eq!(r.status, 403, "{path} with a wrong token");
        }
        // the session still works: refusing a form does not sign anyone out
        web.get(home).await.assert_status(200);
    }
    // the unauthenticated forms too
    let mut anon = WebClient::new(&app);
    anon.get("/login").await;
    for path in ["/login", "/console/register"] {
        let r = anon.post(path, &[("email", "a@b.cn")], false).await;
        assert_eq!(r.status, 403, "{path}");
    }
    let r = anon.post(&format!("/console/declarations/{x}/full-text"), &[], false).await;
    assert_eq!(r.status, 303, "no session: to the sign-in page first");
    // the one multipart form (the full text) checks its token too
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let body =
        "--B\r\nContent-Disposition: form-data; name=\"full_text\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 x\r\n--B--\r\n";
    let rb = app
        .raw(reqwest::Method::POST, &format!("/console/declarations/{x}/full-text"), None)
        .await
        .header("content-type", "multipart/form-data; boundary=B")
        .header("cookie", web.cookie_header())
        .body(body);
    assert_eq!(app.send(rb).await.status, 403, "a file without the token is refused");
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0, "nothing was written");
}

#[tokio::test]
async fn the_declaration_form_shows_service_errors_next_to_fields_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    let mut web = WebClient::new(&app);
    web.sign_in(&org.admin.email, PASSWORD, "/console").await;
    let form = web.get("/console/declarations/new").await;
    form.assert_status(200);
    assert_eq!(h1_count(&form.text), 1);
    assert!(!form.text.contains("style=") && !form.text.contains("<script>"), "nothing inline for the CSP");
    let typed = [
        ("kind", "product"),
        ("standard.number", "Q/CQHX 001-2099"),
        ("standard.title", "山城花椒油"),
        ("products[0].name", "花椒油"),
        ("products[0].model", "HJY-250"),
        ("products[2].name", "藤椒油"),
        ("products[2].barcode", "6901234567891"),
        ("indicators[0].name", "酸价"),
        ("indicators[0].comparator", "<="),
        ("indicators[0].value", "3.0"),
        ("indicators[0].unit", "mg/g"),
        ("below_recommended", ""),
    ];
    let r = web.post("/console/declarations/new", &typed, true).await;
    assert_eq!(r.status, 422, "{}", r.text);
    // the service's messages, next to the fields they concern (rows compacted: 藤椒油 is row 2)
    assert!(r.text.contains(r#"id="f-standard-number-err""#) && r.text.contains("晚于声明日期"), "{}", r.text);
    assert!(r.text.contains(r#"id="f-products-1-barcode-err""#), "the barcode error sits on the second row");
    assert!(r.text.contains(r##"href="#f-standard-number""##), "the summary links to the field");
    // what was typed is still there
    for v in ["Q/CQHX 001-2099", "山城花椒油", "花椒油", "HJY-250", "藤椒油", "6901234567891", "酸价", "3.0", "mg/g"]
    {
        assert!(r.text.contains(&format!("value=\"{v}\"")), "kept {v}");
    }
    let selected = r
        .text
        .split("name=\"indicators[0].comparator\"")
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .unwrap_or_default();
    assert!(selected.contains(" selected>不大于<"), "the comparator stays chosen: {selected}");
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0);

    // the "add rows" button gives more rows without saving
    let r = web
        .post(
            "/console/declarations/new",
            &[("kind", "product"), ("products[0].name", "花椒油"), ("add_rows", "products")],
            true,
        )
        .await;
    r.assert_status(200);
    assert!(r.text.contains(r#"name="products[5].name""#), "three more product rows");
    assert_eq!(app.count("SELECT count(*) FROM declarations"), 0);

    // corrected: saved as a draft, then publishing without the commitment is refused next to the checkbox
    let mut fixed: Vec<(&str, &str)> = typed.to_vec();
    fixed[1] = ("standard.number", "Q/CQHX 001-2025");
    fixed[6] = ("products[2].barcode", "6901234567892");
    let r = web.post("/console/declarations/new", &fixed, true).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let show = location(&r);
    let id = show.trim_start_matches("/console/declarations/").split('?').next().unwrap_or_default().to_string();
    let page = web.get(&show).await;
    page.assert_status(200);
    assert!(page.text.contains("草稿已保存") && page.text.contains("自我承诺"));
    let r = web.post(&format!("/console/declarations/{id}/publish"), &[], true).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains(r#"id="f-commitment-err""#), "{}", r.text);
    let r = web.post(&format!("/console/declarations/{id}/publish"), &[("commitment", "on")], true).await;
    assert_eq!(r.status, 303);
    assert_eq!(app.count(&format!("SELECT count(*) FROM declarations WHERE id = '{id}' AND status = 'public'")), 1);
    // withdrawing needs a reason, shown next to its field
    let r = web.post(&format!("/console/declarations/{id}/withdraw"), &[("reason", "")], true).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains(r#"id="f-reason-err""#));
}

#[tokio::test]
async fn the_sysadmin_pages_create_regulators_reindex_with_progress_and_verify_the_chain() {
    let app = TestApp::spawn().await;
    let org = app.enterprise("500103").await;
    crate::declarations::published(&app, &org, "Q/CQSA 001-2025").await;
    let admin = app.sysadmin().await;
    let mut sys = WebClient::new(&app);
    sys.sign_in(&admin.email, PASSWORD, "/admin").await;

    // a regulator account made on the page can sign in to the regulators' console of its jurisdiction
    sys.get("/admin/users").await.assert_status(200);
    let email = "inspector.sysadmin.page@example.cn";
    let weak = sys
        .post(
            "/admin/users",
            &[
                ("email", email),
                ("password", "short"),
                ("name", "赵巡查"),
                ("role", "regulator"),
                ("jurisdiction", "500103"),
            ],
            true,
        )
        .await;
    assert_eq!(weak.status, 422, "a short password is refused on the page: {}", weak.text);
    assert!(weak.text.contains(email), "what was typed is kept");
    assert_eq!(app.count(&format!("SELECT count(*) FROM users WHERE email = '{email}'")), 0);
    let r = sys
        .post(
            "/admin/users",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("name", "赵巡查"),
                ("role", "regulator"),
                ("jurisdiction", "500103"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM users WHERE email = '{email}' AND role = 'regulator' AND jurisdiction = '500103'"
        )),
        1
    );
    let listed = sys.get(&location(&r)).await;
    assert!(listed.text.contains(email) && listed.text.contains("账号已创建"), "{}", listed.text);
    let mut reg = WebClient::new(&app);
    reg.sign_in(email, PASSWORD, "/regulator").await;
    assert!(reg.get("/regulator").await.text.contains("500103"));

    // reindex: started from the page, which refreshes itself until the report is there
    sys.get("/admin/reindex").await.assert_status(200);
    let r = sys.post("/admin/reindex", &[], true).await;
    assert_eq!(location(&r), "/admin/reindex");
    let mut report = String::new();
    for _ in 0..300 {
        let page = sys.get("/admin/reindex").await;
        page.assert_status(200);
        if page.text.contains("完成：") {
            assert!(page.header("refresh").is_none(), "a finished reindex stops refreshing");
            report = page.text;
            break;
        }
        assert!(!page.text.contains("失败"), "{}", page.text);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(report.contains("完成：复制 1 条"), "the one public declaration was copied: {report}");
    let hits = app.search("q=CQSA").await;
    assert_eq!(hits["total"], 1, "the swapped index answers: {hits}");

    // the audit chain: head and a fresh verification, which names a tampered event
    let count = app.count("SELECT max(seq) FROM audit_events");
    let page = sys.get("/admin/audit").await;
    page.assert_status(200);
    assert!(page.text.contains(&format!("完整：{count} 个事件")), "{}", page.text);
    use diesel::connection::SimpleConnection;
    app.db()
        .batch_execute(r#"UPDATE audit_events SET summary = '{"tampered": true}' WHERE seq = 2"#)
        .expect("tampering SQL");
    let page = sys.get("/admin/audit").await;
    assert!(page.text.contains("发现篡改：第 2 个事件处断开"), "{}", page.text);
}
