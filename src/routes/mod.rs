//! HTTP routes, one module per resource. Handlers parse input, pick the actor and status codes, and
//! call the services; no SQL here.

pub mod accounts;
pub mod audit;
pub mod comparisons;
pub mod complaints;
pub mod declarations;
pub mod export;
pub mod flags;
pub mod ops;
pub mod rectifications;
pub mod reference;
pub mod search;
pub mod stats;
pub mod supervision;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every `/api/v1` route (the OpenAPI document is collected from these).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/openapi.json", actix_web::web::get().to(ops::openapi_json))
        .service(accounts::register)
        .service(accounts::login)
        .service(accounts::refresh)
        .service(accounts::logout)
        .service(accounts::me)
        .service(accounts::add_member)
        .service(accounts::list_members)
        .service(accounts::remove_member)
        .service(accounts::create_token)
        .service(accounts::list_tokens)
        .service(accounts::revoke_token)
        .service(accounts::create_staff)
        .service(accounts::list_partners)
        .service(accounts::get_organization)
        .service(declarations::bulk_declarations)
        .service(declarations::create_declaration)
        .service(declarations::list_my_declarations)
        .service(declarations::get_declaration)
        .service(declarations::patch_declaration)
        .service(declarations::publish_declaration)
        .service(declarations::revise_declaration)
        .service(declarations::withdraw_declaration)
        .service(declarations::get_version)
        .service(declarations::diff_versions)
        .service(declarations::put_full_text)
        .service(declarations::get_full_text)
        .service(declarations::list_organization_declarations)
        .service(flags::raise_flag)
        .service(flags::resolve_flag)
        .service(flags::list_flags)
        .service(supervision::create_campaign)
        .service(supervision::list_campaigns)
        .service(supervision::get_campaign)
        .service(supervision::draw_campaign)
        .service(supervision::close_campaign)
        .service(supervision::campaign_report)
        .service(supervision::list_inspections)
        .service(supervision::get_inspection)
        .service(supervision::record_result)
        .service(supervision::respond)
        .service(supervision::close_inspection)
        .service(supervision::mark_not_inspected)
        .service(rectifications::list_rectifications)
        .service(rectifications::get_rectification)
        .service(rectifications::respond_rectification)
        .service(rectifications::close_rectification)
        .service(complaints::file_complaint)
        .service(complaints::track_complaint)
        .service(complaints::add_attachment)
        .service(complaints::list_complaints)
        .service(complaints::get_complaint)
        .service(complaints::accept_complaint)
        .service(complaints::reject_complaint)
        .service(complaints::assign_complaint)
        .service(complaints::extend_complaint)
        .service(complaints::conclude_complaint)
        .service(complaints::route_complaint)
        .service(complaints::reveal_complainant)
        .service(complaints::get_attachment)
        .service(search::search)
        .service(audit::list_audit_events)
        .service(audit::audit_head)
        .service(stats::stats_overview)
        .service(stats::stats_plan)
        .service(export::export_declarations)
        .service(reference::list_divisions)
        .service(reference::list_industries)
        .service(reference::search_standards)
        .service(reference::get_standard)
        .service(reference::search_indicators)
        .service(reference::get_requirements)
        .service(comparisons::comparison_review);
}
