//! Table definitions shared by both backends (the migrations in
//! `migrations/{postgres,sqlite}` create the same tables).

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    programs (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        city -> Text,
        province -> Text,
        starts_on -> Date,
        ends_on -> Date,
        description -> Text,
        source -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        pass_level -> Integer,
        earmarks -> Text,
        phases -> Text,
    }
}

diesel::table! {
    regions (id) {
        id -> Text,
        program_id -> Text,
        code -> Text,
        name -> Text,
        kind -> Text,
        parent_code -> Nullable<Text>,
        position -> Integer,
    }
}

diesel::table! {
    industries (id) {
        id -> Text,
        program_id -> Text,
        code -> Text,
        name -> Text,
        description -> Text,
        position -> Integer,
    }
}

diesel::table! {
    batches (id) {
        id -> Text,
        program_id -> Text,
        number -> Integer,
        name -> Text,
        applications_open_on -> Nullable<Date>,
        applications_close_on -> Nullable<Date>,
        implementation_ends_on -> Nullable<Date>,
        acceptance_ends_on -> Nullable<Date>,
        capacity -> Nullable<Integer>,
        state -> Text,
        note -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        user_id -> Text,
        role -> Text,
        program_id -> Nullable<Text>,
        region_codes -> Text,
        enterprise_id -> Nullable<Text>,
        provider_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        family_id -> Text,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttles (key) {
        key -> Text,
        failures -> Integer,
        blocked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ledger_head (id) {
        id -> Integer,
        audit_seq -> BigInt,
        audit_hash -> Text,
        change_seq -> BigInt,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        program_id -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    change_events (seq) {
        seq -> BigInt,
        object_type -> Text,
        object_id -> Text,
        program_id -> Nullable<Text>,
        version -> BigInt,
        op -> Text,
        committed_at -> Timestamp,
        snapshot -> Text,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        kind -> Text,
        indicator_set -> Text,
        enterprise_id -> Nullable<Text>,
        project_id -> Nullable<Text>,
        recorded_by -> Text,
        answers -> Text,
        total_points -> BigInt,
        level -> Integer,
        result -> Text,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subsidy_policies (id) {
        id -> Text,
        program_id -> Text,
        version -> Integer,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        body -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    budget_pools (id) {
        id -> Text,
        program_id -> Text,
        name -> Text,
        source -> Text,
        region_code -> Nullable<Text>,
        amount_fen -> BigInt,
        committed_fen -> BigInt,
        disbursed_fen -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        purpose -> Text,
    }
}

diesel::table! {
    subsidy_decisions (id) {
        id -> Text,
        program_id -> Text,
        pool_id -> Text,
        kind -> Text,
        enterprise_id -> Nullable<Text>,
        payee -> Text,
        amount_fen -> BigInt,
        disbursed_fen -> BigInt,
        state -> Text,
        policy_version -> Nullable<Integer>,
        explanation -> Text,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        level -> Nullable<Integer>,
        cap_fen -> Nullable<BigInt>,
    }
}

diesel::table! {
    enterprise_ledgers (program_id, enterprise_id) {
        program_id -> Text,
        enterprise_id -> Text,
        approved_fen -> BigInt,
        disbursed_fen -> BigInt,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    disbursements (id) {
        id -> Text,
        program_id -> Text,
        decision_id -> Text,
        pool_id -> Text,
        payee -> Text,
        amount_fen -> BigInt,
        paid_on -> Date,
        reference -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    enterprises (id) {
        id -> Text,
        uscc -> Text,
        name -> Text,
        program_id -> Nullable<Text>,
        region_code -> Nullable<Text>,
        industry_code -> Nullable<Text>,
        above_designated_size -> Bool,
        size_class -> Text,
        specialised -> Bool,
        little_giant -> Bool,
        innovative -> Bool,
        chain_master -> Bool,
        employees -> Nullable<Integer>,
        revenue_fen -> Nullable<BigInt>,
        contact_name -> Text,
        contact_phone -> Text,
        cloud_adopted -> Bool,
        tier -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    providers (id) {
        id -> Text,
        uscc -> Text,
        name -> Text,
        kind -> Text,
        specialty -> Text,
        local -> Bool,
        scenarios -> Text,
        contact_name -> Text,
        contact_phone -> Text,
        description -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        provider_id -> Text,
        name -> Text,
        scenarios -> Text,
        industries -> Text,
        deployment -> Text,
        price_fen -> Nullable<BigInt>,
        description -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    admissions (program_id, kind, member_id) {
        program_id -> Text,
        kind -> Text,
        member_id -> Text,
        status -> Text,
        grade -> Nullable<Text>,
        reason -> Text,
        consortium_industry_code -> Nullable<Text>,
        consortium_lead_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        evidence -> Text,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        path -> Text,
        request_sha256 -> Text,
        response -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        program_id -> Text,
        batch_id -> Text,
        enterprise_id -> Text,
        region_code -> Text,
        title -> Text,
        state -> Text,
        provider_id -> Nullable<Text>,
        diagnosis_id -> Nullable<Text>,
        level_before -> Nullable<Integer>,
        acceptance_id -> Nullable<Text>,
        level_after -> Nullable<Integer>,
        plan -> Nullable<Text>,
        county_approved_plan -> Bool,
        policy_version -> Nullable<Integer>,
        rectification_deadline -> Nullable<Date>,
        audited_line_items -> Nullable<Text>,
        subsidy_fen -> Nullable<BigInt>,
        subsidy_quote -> Nullable<Text>,
        decision_id -> Nullable<Text>,
        disbursed_fen -> BigInt,
        progress_percent -> Integer,
        satisfaction -> Nullable<Integer>,
        satisfaction_comment -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    project_transitions (project_id, seq) {
        project_id -> Text,
        seq -> BigInt,
        action -> Text,
        from_state -> Text,
        to_state -> Text,
        actor_id -> Text,
        actor_name -> Text,
        role -> Text,
        comment -> Text,
        data -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    progress_reports (id) {
        id -> Text,
        project_id -> Text,
        percent -> Integer,
        milestone -> Text,
        note -> Text,
        evidence -> Text,
        reported_on -> Date,
        reported_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        project_id -> Text,
        kind -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        media_type -> Text,
        filename -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    project_assignments (project_id, role, user_id) {
        project_id -> Text,
        role -> Text,
        user_id -> Text,
        assigned_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    document_requirements (program_id, action, kind) {
        program_id -> Text,
        action -> Text,
        kind -> Text,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        owner_user_id -> Text,
        url -> Text,
        secret -> Text,
        event_types -> Text,
        program_id -> Nullable<Text>,
        active -> Bool,
        disabled_reason -> Nullable<Text>,
        consecutive_failures -> Integer,
        event_cursor -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        failing_since -> Nullable<Timestamp>,
        paused_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event_seq -> BigInt,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        last_duration_ms -> Nullable<BigInt>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    targets (id) {
        id -> Text,
        program_id -> Text,
        metric -> Text,
        year -> Nullable<Integer>,
        industry_code -> Nullable<Text>,
        region_code -> Nullable<Text>,
        scope_key -> Text,
        value -> BigInt,
        cumulative -> Bool,
        recorded_actual -> Nullable<BigInt>,
        source -> Text,
        note -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        text_value -> Nullable<BigInt>,
    }
}

diesel::table! {
    monitoring_settings (program_id) {
        program_id -> Text,
        thresholds -> Text,
        version -> BigInt,
        updated_at -> Timestamp,
        risk -> Text,
    }
}

diesel::table! {
    spot_checks (id) {
        id -> Text,
        program_id -> Text,
        title -> Text,
        population -> Text,
        seed -> Text,
        sample_size -> Integer,
        candidates -> Text,
        inspectors -> Text,
        drawn -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        weighting -> Text,
        strata -> Text,
    }
}

diesel::table! {
    spot_check_findings (id) {
        id -> Text,
        spot_check_id -> Text,
        project_id -> Text,
        outcome -> Text,
        note -> Text,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    benchmarks (id) {
        id -> Text,
        program_id -> Text,
        kind -> Text,
        subject_id -> Text,
        year -> Integer,
        title -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        nominated_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    program_events (id) {
        id -> Text,
        program_id -> Text,
        kind -> Text,
        title -> Text,
        held_on -> Date,
        region_code -> Nullable<Text>,
        participants -> Integer,
        certified -> Integer,
        note -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    finance_products (id) {
        id -> Text,
        program_id -> Text,
        name -> Text,
        institution -> Text,
        kind -> Text,
        launched_on -> Date,
        note -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    evaluation_reports (id) {
        id -> Text,
        program_id -> Text,
        report_no -> Integer,
        version -> Integer,
        period_kind -> Text,
        starts_on -> Date,
        ends_on -> Date,
        as_of -> Date,
        title -> Text,
        feed_seq -> BigInt,
        content -> Text,
        content_sha256 -> Text,
        correction_reason -> Nullable<Text>,
        differences -> Text,
        issued_by -> Text,
        issued_at -> Timestamp,
    }
}

diesel::joinable!(grants -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(regions -> programs (program_id));
diesel::joinable!(industries -> programs (program_id));
diesel::joinable!(batches -> programs (program_id));
diesel::joinable!(products -> providers (provider_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    programs,
    regions,
    industries,
    batches,
    grants,
    api_tokens,
    refresh_tokens,
    login_throttles,
    ledger_head,
    audit_log,
    change_events,
    assessments,
    subsidy_policies,
    budget_pools,
    subsidy_decisions,
    enterprise_ledgers,
    disbursements,
    enterprises,
    providers,
    products,
    admissions,
    idempotency_keys,
    projects,
    project_transitions,
    progress_reports,
    documents,
    project_assignments,
    document_requirements,
    webhooks,
    webhook_deliveries,
    targets,
    monitoring_settings,
    spot_checks,
    spot_check_findings,
    benchmarks,
    program_events,
    finance_products,
    evaluation_reports,
);
