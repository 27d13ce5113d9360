// @generated automatically by Diesel CLI.

diesel::table! {
    api_tokens (id) {
        id -> Uuid,
        organization_id -> Nullable<Uuid>,
        created_by -> Uuid,
        name -> Text,
        token_hash -> Text,
        token_prefix -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        division_code -> Nullable<Text>,
        summary -> Jsonb,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Bool,
        seq -> Int8,
        hash -> Text,
        prev_hash -> Text,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        size -> Int8,
        content_type -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        is_workday -> Bool,
        name -> Text,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Uuid,
        name -> Text,
        jurisdiction -> Text,
        scope_division -> Text,
        scope_kinds -> Array<Nullable<Text>>,
        scope_standard_types -> Array<Nullable<Text>>,
        scope_industry -> Nullable<Text>,
        scope_published_before -> Nullable<Date>,
        scope_exclude_sampled_years -> Nullable<Int4>,
        sample_size -> Int4,
        inspector_ids -> Array<Nullable<Uuid>>,
        due_date -> Date,
        seed -> Nullable<Text>,
        status -> Text,
        algorithm -> Nullable<Text>,
        eligible_count -> Nullable<Int4>,
        eligible_digest -> Nullable<Text>,
        eligible_ids -> Nullable<Array<Nullable<Uuid>>>,
        drawn_count -> Nullable<Int4>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        drawn_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        scope_outdated -> Bool,
        scope_indicator_review -> Bool,
    }
}

diesel::table! {
    canonical_indicators (code) {
        code -> Text,
        name -> Text,
        synonyms -> Array<Nullable<Text>>,
        name_keys -> Array<Nullable<Text>>,
        quantity -> Text,
        unit -> Nullable<Text>,
        direction -> Text,
        note -> Nullable<Text>,
        source -> Text,
        loaded_at -> Timestamptz,
    }
}

diesel::table! {
    catalog_standards (number) {
        number -> Text,
        prefix -> Text,
        nature -> Text,
        title -> Text,
        publish_date -> Nullable<Date>,
        implement_date -> Nullable<Date>,
        status -> Text,
        replaces -> Array<Nullable<Text>>,
        replaced_by -> Array<Nullable<Text>>,
        source -> Text,
        standard_type -> Text,
        title_en -> Nullable<Text>,
        abolish_date -> Nullable<Date>,
        ics -> Nullable<Text>,
        ccs -> Nullable<Text>,
        adopted -> Nullable<Text>,
        department -> Nullable<Text>,
        committee -> Nullable<Text>,
        loaded_at -> Timestamptz,
        number_compact -> Nullable<Text>,
    }
}

diesel::table! {
    ccs_codes (code) {
        code -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        name_zh -> Text,
    }
}

diesel::table! {
    comparison_runs (id) {
        id -> Int8,
        reason -> Text,
        standards -> Nullable<Array<Nullable<Text>>>,
        requested_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        cursor -> Nullable<Uuid>,
        processed -> Int8,
        changed -> Int8,
    }
}

diesel::table! {
    complaint_attachments (id) {
        id -> Uuid,
        complaint_id -> Uuid,
        sha256 -> Text,
        content_type -> Text,
        size -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    complaint_complainants (complaint_id) {
        complaint_id -> Uuid,
        key_id -> Text,
        name -> Bytea,
        name_nonce -> Bytea,
        phone -> Nullable<Bytea>,
        phone_nonce -> Nullable<Bytea>,
        email -> Nullable<Bytea>,
        email_nonce -> Nullable<Bytea>,
    }
}

diesel::table! {
    complaint_rectifications (id) {
        id -> Uuid,
        complaint_id -> Uuid,
        declaration_id -> Uuid,
        organization_id -> Uuid,
        division_code -> Text,
        requirement -> Text,
        ordered_by -> Uuid,
        ordered_at -> Timestamptz,
        rectification_due -> Date,
        status -> Text,
        response_statement -> Nullable<Text>,
        response_version_id -> Nullable<Uuid>,
        responded_at -> Nullable<Timestamptz>,
        resolution_note -> Nullable<Text>,
        closed_by -> Nullable<Uuid>,
        closed_at -> Nullable<Timestamptz>,
        overdue_flagged_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    complaint_throttle (key) {
        key -> Text,
        window_start -> Timestamptz,
        count -> Int4,
    }
}

diesel::table! {
    complaint_updates (id) {
        id -> Int8,
        complaint_id -> Uuid,
        at -> Timestamptz,
        event -> Text,
        status -> Text,
        public_reply -> Nullable<Text>,
        note -> Nullable<Text>,
        actor_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    complaints (id) {
        id -> Uuid,
        tracking_code -> Text,
        access_key_hash -> Text,
        category -> Text,
        description -> Text,
        target_declaration_id -> Nullable<Uuid>,
        target_uscc -> Nullable<Text>,
        target_organization_name -> Nullable<Text>,
        target_standard_number -> Nullable<Text>,
        organization_id -> Nullable<Uuid>,
        declaration_id -> Nullable<Uuid>,
        division_code -> Nullable<Text>,
        status -> Text,
        received_at -> Timestamptz,
        acceptance_due -> Date,
        accepted_at -> Nullable<Timestamptz>,
        accepted_on -> Nullable<Date>,
        conclusion_due -> Nullable<Date>,
        rejected_at -> Nullable<Timestamptz>,
        rejection_reason -> Nullable<Text>,
        assignee_id -> Nullable<Uuid>,
        assigned_at -> Nullable<Timestamptz>,
        extended_at -> Nullable<Timestamptz>,
        extension_reason -> Nullable<Text>,
        concluded_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        public_reply -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    declaration_indicators (declaration_id, position) {
        declaration_id -> Uuid,
        position -> Int2,
        version -> Int4,
        code -> Text,
        value_min -> Nullable<Float8>,
        value_max -> Nullable<Float8>,
        value_text -> Nullable<Text>,
    }
}

diesel::table! {
    declaration_notices (id) {
        id -> Int8,
        declaration_id -> Uuid,
        standard -> Text,
        role -> Text,
        kind -> Text,
        replaced_by -> Array<Nullable<Text>>,
        since -> Date,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        end_reason -> Nullable<Text>,
    }
}

diesel::table! {
    declaration_stat_deltas (id) {
        id -> Int8,
        dimension -> Text,
        key -> Text,
        n -> Int8,
    }
}

diesel::table! {
    declaration_stats (dimension, key) {
        dimension -> Text,
        key -> Text,
        n -> Int8,
    }
}

diesel::table! {
    declaration_versions (id) {
        id -> Uuid,
        declaration_id -> Uuid,
        version -> Int4,
        status -> Text,
        standard_number_raw -> Text,
        standard_number -> Text,
        standard_type -> Text,
        standard_title -> Text,
        products -> Jsonb,
        indicators -> Jsonb,
        industry_code -> Nullable<Text>,
        ics_code -> Nullable<Text>,
        ccs_code -> Nullable<Text>,
        below_recommended -> Nullable<Text>,
        summary -> Nullable<Text>,
        effective_date -> Nullable<Date>,
        full_text_sha256 -> Nullable<Text>,
        full_text_size -> Nullable<Int8>,
        full_text_public -> Bool,
        warnings -> Jsonb,
        commitment -> Bool,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        published_by -> Nullable<Uuid>,
        ended_at -> Nullable<Timestamptz>,
        end_reason -> Nullable<Text>,
        below_recommended_answer -> Text,
        cited_standards -> Array<Nullable<Text>>,
        applicable_mandatory -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    declarations (id) {
        id -> Uuid,
        organization_id -> Uuid,
        kind -> Text,
        status -> Text,
        current_version -> Nullable<Int4>,
        draft_version -> Nullable<Int4>,
        latest_version -> Int4,
        standard_number -> Text,
        standard_type -> Text,
        standard_title -> Text,
        industry_code -> Nullable<Text>,
        division_code -> Text,
        first_published_at -> Nullable<Timestamptz>,
        published_at -> Nullable<Timestamptz>,
        withdrawn_at -> Nullable<Timestamptz>,
        search_text -> Text,
        flagged -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        standard_refs -> Array<Nullable<Text>>,
        outdated -> Bool,
        stricter_than_national -> Bool,
        at_mandatory_limit -> Bool,
        comparison_gaps -> Bool,
    }
}

diesel::table! {
    district_groups (division_code) {
        division_code -> Text,
        name -> Text,
        district_group -> Text,
        subgroup -> Text,
    }
}

diesel::table! {
    division_history (id) {
        id -> Int4,
        code -> Text,
        name -> Text,
        level -> Text,
        status -> Text,
        province_name -> Text,
        prefecture_name -> Text,
        start_year -> Int4,
        end_year -> Nullable<Int4>,
        new_codes -> Text,
    }
}

diesel::table! {
    divisions (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        province_code -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> Int8,
        event_type -> Text,
        subject -> Text,
        payload -> Jsonb,
        occurred_at -> Timestamptz,
        txid -> Int8,
    }
}

diesel::table! {
    flags (id) {
        id -> Uuid,
        declaration_id -> Uuid,
        code -> Text,
        note -> Nullable<Text>,
        raised_at -> Timestamptz,
        raised_by -> Nullable<Uuid>,
        campaign_id -> Nullable<Uuid>,
        inspection_id -> Nullable<Uuid>,
        complaint_id -> Nullable<Uuid>,
        resolved_at -> Nullable<Timestamptz>,
        resolved_by -> Nullable<Uuid>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    ics_codes (code) {
        code -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        title_en -> Text,
        title_zh -> Text,
    }
}

diesel::table! {
    indicator_requirements (id) {
        id -> Int8,
        standard -> Text,
        nature -> Text,
        clause -> Nullable<Text>,
        code -> Text,
        indicator_name -> Text,
        product_class -> Text,
        comparator -> Text,
        min -> Nullable<Float8>,
        max -> Nullable<Float8>,
        unit -> Nullable<Text>,
        value_text -> Nullable<Text>,
        note -> Nullable<Text>,
        source -> Text,
        loaded_at -> Timestamptz,
    }
}

diesel::table! {
    industries (code) {
        code -> Text,
        level -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        section -> Text,
        note -> Text,
    }
}

diesel::table! {
    inspections (id) {
        id -> Uuid,
        campaign_id -> Uuid,
        declaration_id -> Uuid,
        declaration_version -> Int4,
        organization_id -> Uuid,
        division_code -> Text,
        inspector_id -> Uuid,
        draw_position -> Int4,
        status -> Text,
        grade -> Nullable<Text>,
        findings -> Jsonb,
        result_at -> Nullable<Timestamptz>,
        rectification_due -> Nullable<Date>,
        response_statement -> Nullable<Text>,
        response_version_id -> Nullable<Uuid>,
        responded_at -> Nullable<Timestamptz>,
        resolution_note -> Nullable<Text>,
        closed_at -> Nullable<Timestamptz>,
        overdue_flagged_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Int4,
        window_start -> Timestamptz,
        blocked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    organizations (id) {
        id -> Uuid,
        uscc -> Text,
        name -> Text,
        kind -> Text,
        division_code -> Text,
        industry_code -> Nullable<Text>,
        group_code -> Nullable<Text>,
        address -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        entity_type -> Text,
        entity_id -> Uuid,
        created_at -> Timestamptz,
        available_at -> Timestamptz,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        task_uids -> Nullable<Array<Nullable<Int8>>>,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    plan_targets (seq) {
        seq -> Int4,
        unit -> Text,
        unit_kind -> Text,
        national_industry_standards -> Nullable<Int4>,
        local_standards -> Nullable<Int4>,
        group_standards -> Nullable<Int4>,
        enterprise_standards -> Nullable<Int4>,
        note -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        rotated_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sac_industry_codes (code) {
        code -> Text,
        industry_zh -> Text,
        industry_en -> Text,
        source -> Text,
    }
}

diesel::table! {
    search_state (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        organization_id -> Nullable<Uuid>,
        email -> Text,
        password_hash -> Text,
        name -> Text,
        role -> Text,
        jurisdiction -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        token_version -> Int4,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> Uuid,
        token_hash -> Text,
        user_id -> Uuid,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(api_tokens -> organizations (organization_id));
diesel::joinable!(api_tokens -> users (created_by));
diesel::joinable!(campaigns -> users (created_by));
diesel::joinable!(complaint_attachments -> blobs (sha256));
diesel::joinable!(complaint_attachments -> complaints (complaint_id));
diesel::joinable!(complaint_complainants -> complaints (complaint_id));
diesel::joinable!(complaint_rectifications -> complaints (complaint_id));
diesel::joinable!(complaint_rectifications -> declaration_versions (response_version_id));
diesel::joinable!(complaint_rectifications -> declarations (declaration_id));
diesel::joinable!(complaint_rectifications -> organizations (organization_id));
diesel::joinable!(complaint_updates -> complaints (complaint_id));
diesel::joinable!(complaint_updates -> users (actor_id));
diesel::joinable!(complaints -> declarations (declaration_id));
diesel::joinable!(complaints -> organizations (organization_id));
diesel::joinable!(complaints -> users (assignee_id));
diesel::joinable!(declaration_indicators -> canonical_indicators (code));
diesel::joinable!(declaration_indicators -> declarations (declaration_id));
diesel::joinable!(declaration_notices -> declarations (declaration_id));
diesel::joinable!(declaration_versions -> declarations (declaration_id));
diesel::joinable!(declarations -> organizations (organization_id));
diesel::joinable!(flags -> campaigns (campaign_id));
diesel::joinable!(flags -> complaints (complaint_id));
diesel::joinable!(flags -> declarations (declaration_id));
diesel::joinable!(flags -> inspections (inspection_id));
diesel::joinable!(indicator_requirements -> canonical_indicators (code));
diesel::joinable!(inspections -> campaigns (campaign_id));
diesel::joinable!(inspections -> declaration_versions (response_version_id));
diesel::joinable!(inspections -> declarations (declaration_id));
diesel::joinable!(inspections -> organizations (organization_id));
diesel::joinable!(inspections -> users (inspector_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(web_sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    audit_events,
    audit_head,
    blobs,
    calendar_days,
    campaigns,
    canonical_indicators,
    catalog_standards,
    ccs_codes,
    comparison_runs,
    complaint_attachments,
    complaint_complainants,
    complaint_rectifications,
    complaint_throttle,
    complaint_updates,
    complaints,
    declaration_indicators,
    declaration_notices,
    declaration_stat_deltas,
    declaration_stats,
    declaration_versions,
    declarations,
    district_groups,
    division_history,
    divisions,
    events,
    flags,
    ics_codes,
    indicator_requirements,
    industries,
    inspections,
    login_throttle,
    organizations,
    outbox,
    plan_targets,
    refresh_tokens,
    sac_industry_codes,
    search_state,
    users,
    web_sessions,
);
