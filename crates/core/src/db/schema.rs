// @generated automatically by Diesel CLI.

diesel::table! {
    admin_password_links (token_hash) {
        token_hash -> Text,
        admin_id -> Text,
        expires_at -> Int8,
    }
}

diesel::table! {
    admin_sessions (token_hash) {
        token_hash -> Text,
        admin_id -> Text,
        draft_path -> Nullable<Text>,
        draft_form -> Nullable<Text>,
        created_at -> Int8,
        elevated_until -> Nullable<Int8>,
        last_seen_at -> Int8,
        elevated_at -> Nullable<Int8>,
    }
}

diesel::table! {
    admins (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        created_at -> Int8,
        last_sign_in_at -> Nullable<Int8>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        key_hash -> Text,
        hint -> Text,
        created_by -> Text,
        created_at -> Int8,
        last_used_at -> Nullable<Int8>,
        revoked_at -> Nullable<Int8>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        actor -> Text,
        action -> Text,
        badge_id -> Nullable<Text>,
        target -> Text,
        details -> Text,
        member_id -> Nullable<Text>,
        at -> Int8,
    }
}

diesel::table! {
    audit_members (member_id, entry) {
        member_id -> Text,
        entry -> Int8,
    }
}

diesel::table! {
    badge_pages (badge_key, page_key) {
        badge_key -> Int8,
        page_key -> Int8,
    }
}

diesel::table! {
    badge_rules (badge_key) {
        badge_key -> Int8,
        criteria -> Text,
        take_away -> Bool,
        created_at -> Int8,
        updated_at -> Int8,
    }
}

diesel::table! {
    badge_slugs (slug) {
        slug -> Text,
        badge_key -> Int8,
    }
}

diesel::table! {
    // The declared primary keys of badges, members and pages are their public UUIDs (so
    // `find(id)` takes one); rows point at each other by the integer `key`, joined explicitly.
    badges (id) {
        key -> Int8,
        id -> Text,
        title -> Text,
        title_key -> Text,
        slug -> Text,
        description -> Text,
        background_color -> Text,
        text_color -> Text,
        icon -> Text,
        permissions_enabled -> Bool,
        self_assignable -> Bool,
        position -> Int4,
        member_count -> Int8,
        created_at -> Int8,
        updated_at -> Int8,
        valid_for_days -> Nullable<Int4>,
        tell_members -> Bool,
    }
}

diesel::table! {
    bulk_change_rows (change_id, member_key) {
        change_id -> Text,
        member_key -> Int8,
        held_before -> Bool,
        assigned_at -> Nullable<Int8>,
        assigned_by -> Nullable<Text>,
        hidden -> Nullable<Bool>,
        pinned_at -> Nullable<Int8>,
        expires_at -> Nullable<Int8>,
        end_set_at -> Nullable<Int8>,
    }
}

diesel::table! {
    bulk_changes (id) {
        id -> Text,
        admin_id -> Text,
        badge_id -> Text,
        badge_title -> Text,
        give -> Bool,
        members -> Int8,
        created_at -> Int8,
        undone_at -> Nullable<Int8>,
    }
}

diesel::table! {
    email_confirmations (token_hash) {
        token_hash -> Text,
        member_id -> Text,
        email -> Text,
        expires_at -> Int8,
    }
}

diesel::table! {
    events (key) {
        key -> Int8,
        kind -> Text,
        badge_id -> Text,
        member_id -> Nullable<Text>,
        entity -> Nullable<Text>,
        actor -> Text,
        occurred_at -> Int8,
        endpoint_key -> Nullable<Int8>,
        actor_kind -> Text,
        txid -> Int8,
    }
}

diesel::table! {
    form_uses (token_hash) {
        token_hash -> Text,
        used_at -> Int8,
    }
}

diesel::table! {
    icon_uploads (id) {
        id -> Text,
        svg -> Text,
        created_at -> Int8,
    }
}

diesel::table! {
    jobs (name) {
        name -> Text,
        due_at -> Int8,
        lease_until -> Int8,
        holder -> Text,
        last_run_at -> Nullable<Int8>,
        last_took_ms -> Nullable<Int8>,
        last_error -> Nullable<Text>,
        last_error_at -> Nullable<Int8>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        account -> Text,
        client -> Text,
        failed_at -> Int8,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Int8,
        kind -> Text,
        member_id -> Nullable<Text>,
        admin_id -> Nullable<Text>,
        recipient -> Text,
        badge_id -> Nullable<Text>,
        subject -> Text,
        state -> Text,
        created_at -> Int8,
        due_at -> Int8,
        lease_until -> Int8,
        holder -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Int8>,
        message_id -> Text,
    }
}

diesel::table! {
    member_badges (badge_key, member_key) {
        badge_key -> Int8,
        member_key -> Int8,
        assigned_at -> Int8,
        assigned_by -> Text,
        hidden -> Bool,
        pinned_at -> Nullable<Int8>,
        expires_at -> Nullable<Int8>,
        end_set_at -> Nullable<Int8>,
    }
}

diesel::table! {
    member_sessions (token_hash) {
        token_hash -> Text,
        member_id -> Text,
        created_at -> Int8,
        last_seen_at -> Int8,
    }
}

diesel::table! {
    members (id) {
        key -> Int8,
        id -> Text,
        name -> Text,
        name_key -> Text,
        email -> Text,
        slug -> Text,
        password_hash -> Nullable<Text>,
        badge_count -> Int8,
        created_at -> Int8,
        email_domain -> Text,
        email_trusted -> Bool,
        signed_up -> Bool,
        last_sign_in_at -> Nullable<Int8>,
        invited_at -> Nullable<Int8>,
        badge_mail -> Bool,
        badges_seen_at -> Nullable<Int8>,
        email_pending -> Nullable<Text>,
    }
}

diesel::table! {
    pages (id) {
        key -> Int8,
        id -> Text,
        title -> Text,
        slug -> Text,
        body -> Text,
        access -> Text,
        created_at -> Int8,
        updated_at -> Int8,
    }
}

diesel::table! {
    password_links (token_hash) {
        token_hash -> Text,
        member_id -> Text,
        expires_at -> Int8,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        tat -> Int8,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        admin_id -> Text,
        kind -> Text,
        subject -> Text,
        input -> Text,
        csv -> Text,
        created_at -> Int8,
        page -> Text,
        attention -> Text,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    webhook_attempts (key) {
        key -> Int8,
        delivery_key -> Int8,
        endpoint_key -> Int8,
        at -> Int8,
        status -> Nullable<Int4>,
        latency_ms -> Int4,
        response -> Text,
    }
}

diesel::table! {
    webhook_deliveries (key) {
        key -> Int8,
        endpoint_key -> Int8,
        event_key -> Int8,
        lane -> Text,
        state -> Int4,
        attempts -> Int4,
    }
}

diesel::table! {
    webhook_endpoints (key) {
        key -> Int8,
        id -> Text,
        url -> Text,
        format -> Text,
        kinds -> Text,
        enabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Int8>,
        events_after -> Int8,
        failing_since -> Nullable<Int8>,
        disabled_reason -> Text,
        paused_until -> Int8,
        pauses -> Int4,
        created_at -> Int8,
        events_after_txid -> Int8,
    }
}

diesel::table! {
    webhook_lanes (endpoint_key, lane) {
        endpoint_key -> Int8,
        lane -> Text,
        next_attempt_at -> Int8,
        lease_until -> Int8,
    }
}

diesel::joinable!(admin_password_links -> admins (admin_id));
diesel::joinable!(admin_sessions -> admins (admin_id));
diesel::joinable!(audit_members -> audit_log (entry));
diesel::joinable!(bulk_change_rows -> bulk_changes (change_id));
diesel::joinable!(bulk_changes -> admins (admin_id));
diesel::joinable!(email_confirmations -> members (member_id));
diesel::joinable!(mail_outbox -> admins (admin_id));
diesel::joinable!(member_sessions -> members (member_id));
diesel::joinable!(password_links -> members (member_id));
diesel::joinable!(reports -> admins (admin_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_key));
diesel::joinable!(webhook_attempts -> webhook_endpoints (endpoint_key));
diesel::joinable!(webhook_deliveries -> events (event_key));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_key));
diesel::joinable!(webhook_lanes -> webhook_endpoints (endpoint_key));

diesel::allow_tables_to_appear_in_same_query!(
    admin_password_links,
    admin_sessions,
    admins,
    api_keys,
    audit_log,
    audit_members,
    badge_pages,
    badge_rules,
    badge_slugs,
    badges,
    bulk_change_rows,
    bulk_changes,
    email_confirmations,
    events,
    form_uses,
    icon_uploads,
    jobs,
    login_failures,
    mail_outbox,
    member_badges,
    member_sessions,
    members,
    pages,
    password_links,
    rate_limits,
    reports,
    settings,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_lanes,
);
