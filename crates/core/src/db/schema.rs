// Mirrors crates/core/migrations/sqlite; keep in step with every migration.

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    admins (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        created_at -> Text,
        /// When the admin last signed in (set-up, sign-in form); none before the first time.
        last_sign_in_at -> Nullable<Text>,
    }
}

diesel::table! {
    admin_sessions (token_hash) {
        token_hash -> Text,
        admin_id -> Text,
        created_at -> Text,
        elevated_until -> Nullable<Text>,
        draft_path -> Nullable<Text>,
        draft_form -> Nullable<Text>,
        last_seen_at -> Text,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        account -> Text,
        client -> Text,
        failed_at -> Text,
    }
}

diesel::table! {
    icon_uploads (id) {
        id -> Text,
        svg -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    // The declared primary keys of badges, members and pages are their public UUIDs (so
    // `find(id)` takes one); rows point at each other by the integer `key`, joined explicitly.
    badges (id) {
        key -> BigInt,
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
        position -> Integer,
        member_count -> BigInt,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Text,
        actor -> Text,
        action -> Text,
        badge_id -> Nullable<Text>,
        target -> Text,
        details -> Text,
        member_id -> Nullable<Text>,
    }
}

diesel::table! {
    members (id) {
        key -> BigInt,
        id -> Text,
        name -> Text,
        name_key -> Text,
        email -> Text,
        slug -> Text,
        password_hash -> Nullable<Text>,
        badge_count -> BigInt,
        created_at -> Text,
    }
}

diesel::table! {
    member_badges (badge_key, member_key) {
        badge_key -> BigInt,
        member_key -> BigInt,
        /// Unix time in milliseconds.
        assigned_at -> BigInt,
        assigned_by -> Text,
        /// Left off the member's public profile, the directory and public holder lists.
        hidden -> Bool,
        /// When the member pinned it to the front of their profile, Unix ms.
        pinned_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    password_links (token_hash) {
        token_hash -> Text,
        member_id -> Text,
        expires_at -> Text,
    }
}

diesel::table! {
    /// One-time set-password links for admins added on the Admins page.
    admin_password_links (token_hash) {
        token_hash -> Text,
        admin_id -> Text,
        expires_at -> Text,
    }
}

diesel::table! {
    member_sessions (token_hash) {
        token_hash -> Text,
        member_id -> Text,
        created_at -> Text,
        last_seen_at -> Text,
    }
}

diesel::joinable!(admin_sessions -> admins (admin_id));
diesel::joinable!(admin_password_links -> admins (admin_id));
diesel::joinable!(password_links -> members (member_id));
diesel::joinable!(member_sessions -> members (member_id));

diesel::table! {
    pages (id) {
        key -> BigInt,
        id -> Text,
        title -> Text,
        slug -> Text,
        body -> Text,
        access -> Text,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    badge_pages (badge_key, page_key) {
        badge_key -> BigInt,
        page_key -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        key_hash -> Text,
        hint -> Text,
        created_at -> Text,
        created_by -> Text,
        last_used_at -> Nullable<Text>,
        revoked_at -> Nullable<Text>,
    }
}

diesel::table! {
    audit_members (member_id, entry) {
        member_id -> Text,
        entry -> BigInt,
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
        created_at -> Text,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        /// Unix time in milliseconds.
        tat -> BigInt,
    }
}

diesel::table! {
    /// The outbox: one row per event, written with the change it describes.
    events (key) {
        key -> BigInt,
        kind -> Text,
        badge_id -> Text,
        member_id -> Nullable<Text>,
        entity -> Nullable<Text>,
        actor -> Text,
        /// Unix time in milliseconds.
        occurred_at -> BigInt,
        endpoint_key -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_endpoints (key) {
        key -> BigInt,
        id -> Text,
        url -> Text,
        format -> Text,
        kinds -> Text,
        enabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
        events_after -> BigInt,
        failing_since -> Nullable<BigInt>,
        disabled_reason -> Text,
        created_at -> Text,
        paused_until -> BigInt,
        pauses -> Integer,
    }
}

diesel::table! {
    webhook_deliveries (key) {
        key -> BigInt,
        endpoint_key -> BigInt,
        event_key -> BigInt,
        lane -> Text,
        state -> Integer,
        attempts -> Integer,
    }
}

diesel::table! {
    webhook_lanes (endpoint_key, lane) {
        endpoint_key -> BigInt,
        lane -> Text,
        next_attempt_at -> BigInt,
        lease_until -> BigInt,
    }
}

diesel::table! {
    webhook_attempts (key) {
        key -> BigInt,
        delivery_key -> BigInt,
        endpoint_key -> BigInt,
        at -> BigInt,
        status -> Nullable<Integer>,
        latency_ms -> Integer,
        response -> Text,
    }
}

diesel::table! {
    /// Slugs badges had before a rename.
    badge_slugs (slug) {
        slug -> Text,
        badge_key -> BigInt,
    }
}

diesel::joinable!(webhook_deliveries -> events (event_key));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_key));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_key));

diesel::allow_tables_to_appear_in_same_query!(
    settings,
    admins,
    admin_sessions,
    login_failures,
    icon_uploads,
    badges,
    audit_log,
    members,
    member_badges,
    password_links,
    admin_password_links,
    member_sessions,
    pages,
    badge_pages,
    api_keys,
    audit_members,
    reports,
    rate_limits,
    events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_lanes,
    webhook_attempts,
    badge_slugs,
);
