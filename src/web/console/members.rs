//! Members and API tokens of the organization (org_admin): the API's `add_member`,
//! `remove_member`, `create_token` and `revoke_token`. A new token is shown once, on the page that
//! answers its creation, never again.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::declarations::notice;
use super::{Area, Ctx, Errors, Form, Input, OrgAdminUser, TokenManagerUser, see_other};
use crate::auth::login;
use crate::db;
use crate::error::{ApiError, Code};
use crate::services::accounts::{self, TokenView, UserView};
use crate::web::i18n::Strings;
use crate::web::page::Chrome;

#[derive(Template)]
#[template(path = "console/members.html")]
pub struct MembersPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub me: Uuid,
    pub members: Vec<UserView>,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    pub notice: Option<String>,
}

impl MembersPage {
    pub fn role(&self, r: &crate::domain::actor::Role) -> &'static str {
        self.t.codes_label(self.t.console.roles, r.as_str())
    }
}

async fn members_page(ctx: &Ctx, form: &Form, errors: &Errors) -> Result<MembersPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let actor = ctx.actor();
    let members = db::run(&ctx.state.pool, move |conn| Ok(accounts::list_members(conn, actor.org_id()?)?)).await?;
    let roles = vec![
        ("org_member".to_string(), t.label(c.roles, "org_member").to_string()),
        ("org_admin".to_string(), t.label(c.roles, "org_admin").to_string()),
    ];
    Ok(MembersPage {
        t,
        chrome: ctx.chrome(c.members_title, "members"),
        csrf: ctx.csrf.clone(),
        me: ctx.user.actor.user_id,
        members,
        summary: errors.summary(|f| t.label(c.member_fields, f).to_string()),
        fields: vec![
            Input::text("name", c.user_name, form, errors).required().max(50),
            Input::new("email", "email", c.email, form, errors).required().max(254),
            Input::new("password", "password", c.initial_password, &Form::default(), errors)
                .hint(c.password_hint)
                .required()
                .autocomplete("new-password"),
            Input::new("select", "role", c.role, form, errors).options(roles),
        ],
        notice: notice(t, ctx),
    })
}

pub async fn members(ctx: OrgAdminUser) -> HttpResponse {
    match members_page(&ctx, &Form::default(), &Errors::default()).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

async fn refused(ctx: &Ctx, form: &Form, e: ApiError) -> HttpResponse {
    if !matches!(e.code, Code::Validation | Code::Conflict | Code::InvalidState) {
        return ctx.error(e);
    }
    match members_page(ctx, form, &Errors::from_api(&e, "email")).await {
        Ok(p) => ctx.page(e.code.status(), &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn add_member(ctx: OrgAdminUser, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let input =
        match accounts::check_member(&form.get("email"), &form.get("password"), &form.get("name"), &form.get("role")) {
            Ok(i) => i,
            Err(e) => return refused(&ctx, &form, e).await,
        };
    let hash = match login::hash(input.password.clone()).await {
        Ok(h) => h,
        Err(e) => return ctx.error(e),
    };
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| accounts::add_member(conn, now, &actor, &input, &hash)).await {
        Ok(_) => see_other("/console/members?done=member_added"),
        Err(e) => refused(&ctx, &form, e).await,
    }
}

pub async fn remove_member(ctx: OrgAdminUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let id = *path;
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| accounts::remove_member(conn, now, &actor, id)).await {
        Ok(()) => see_other("/console/members?done=member_removed"),
        Err(e) => refused(&ctx, &form, e).await,
    }
}

#[derive(Template)]
#[template(path = "console/tokens.html")]
pub struct TokensPage {
    pub t: &'static Strings,
    pub chrome: Chrome,
    pub csrf: String,
    pub tokens: Vec<TokenView>,
    pub summary: Vec<(String, String)>,
    pub fields: Vec<Input>,
    /// The secret of the token just created (shown this once).
    pub created: Option<String>,
    pub notice: Option<String>,
    /// `/console/tokens` (organizations) or `/partner/tokens`.
    pub base: String,
}

impl TokensPage {
    pub fn when(&self, v: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        v.map(crate::web::format::datetime).unwrap_or_else(|| self.t.site.empty_value.to_string())
    }
}

async fn tokens_page(ctx: &Ctx, form: &Form, errors: &Errors, created: Option<String>) -> Result<TokensPage, ApiError> {
    let t = ctx.t;
    let c = &t.console;
    let actor = ctx.actor();
    let tokens = db::run(&ctx.state.pool, move |conn| accounts::list_tokens(conn, &actor)).await?;
    Ok(TokensPage {
        t,
        chrome: ctx.chrome(c.tokens_title, "tokens"),
        csrf: ctx.csrf.clone(),
        tokens,
        summary: errors.summary(|f| t.label(c.token_fields, f).to_string()),
        fields: vec![
            Input::text("name", c.token_name, form, errors).required().max(100),
            Input::new("number", "expires_in_days", c.token_days, form, errors).hint(c.token_days_hint).class("narrow"),
        ],
        created,
        notice: notice(t, ctx),
        base: format!("{}/tokens", Area::of(ctx.user.actor.role).home()),
    })
}

pub async fn tokens(ctx: TokenManagerUser) -> HttpResponse {
    match tokens_page(&ctx, &Form::default(), &Errors::default(), None).await {
        Ok(p) => ctx.page(StatusCode::OK, &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn create_token(ctx: TokenManagerUser, payload: web::Payload) -> HttpResponse {
    let form = match ctx.form(payload).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let days = match form.opt("expires_in_days").map(|d| d.parse::<i64>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            let e = ApiError::field("expires_in_days", ctx.t.console.whole_number);
            return render_tokens(&ctx, &form, &Errors::from_api(&e, "expires_in_days"), None, e.code.status()).await;
        }
    };
    let name = form.get("name");
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| accounts::create_token(conn, now, &actor, &name, days)).await {
        Ok((_, secret)) => {
            render_tokens(&ctx, &Form::default(), &Errors::default(), Some(secret), StatusCode::CREATED).await
        }
        Err(e) if e.code == Code::Validation => {
            render_tokens(&ctx, &form, &Errors::from_api(&e, "name"), None, e.code.status()).await
        }
        Err(e) => ctx.error(e),
    }
}

async fn render_tokens(
    ctx: &Ctx,
    form: &Form,
    errors: &Errors,
    created: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    match tokens_page(ctx, form, errors, created).await {
        Ok(p) => ctx.page(status, &p),
        Err(e) => ctx.error(e),
    }
}

pub async fn revoke_token(ctx: TokenManagerUser, path: web::Path<Uuid>, payload: web::Payload) -> HttpResponse {
    if let Err(res) = ctx.form(payload).await {
        return res;
    }
    let id = *path;
    let now = ctx.state.clock.now();
    let actor = ctx.actor();
    match db::transaction(&ctx.state.pool, move |conn| accounts::revoke_token(conn, now, &actor, id)).await {
        Ok(()) => see_other(&format!("{}/tokens?done=token_revoked", Area::of(ctx.user.actor.role).home())),
        Err(e) => ctx.error(e),
    }
}
