//! The published Wix client (`@wix/sdk` + `@wix/members_badges`, pinned in
//! `compat/package-lock.json`) against a running Insignia: `compat/client.test.mjs` calls all
//! of its badge functions and one error case each. Needs Node.js 20+; installs the packages
//! with `npm ci` when they are missing.

use std::path::Path;
use std::process::Command;

use crate::helpers::spawn_app;

fn compat_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/compat"))
}

pub(crate) fn install_client() {
    if compat_dir()
        .join("node_modules/@wix/members_badges")
        .exists()
        && compat_dir().join("node_modules/standardwebhooks").exists()
    {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(compat_dir())
        .status()
        .expect("npm must be installed (Node.js 20+) to run the Wix client test");
    assert!(status.success(), "npm ci in compat/ failed");
}

#[tokio::test]
async fn the_published_wix_client_works_against_insignia() {
    install_client();
    let app = spawn_app().await;
    app.setup_admin().await;
    let key = app.create_api_key("Wix client").await;
    let members = app.insert_members(3, "Wix");
    let output = tokio::process::Command::new("node")
        .args(["--test", "--test-reporter=spec", "client.test.mjs"])
        .current_dir(compat_dir())
        .env("INSIGNIA_URL", &app.address)
        .env("INSIGNIA_API_KEY", &key)
        .env("INSIGNIA_MEMBER_IDS", members.join(","))
        .output()
        .await
        .expect("node must be installed (Node.js 20+) to run the Wix client test");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the Wix client test failed:\n{report}"
    );
    // What the client did shows in the dashboard's audit log, with the key as actor.
    let audit = app.page("/dashboard/audit").await;
    assert_eq!(audit.status, reqwest::StatusCode::OK);
    for action in [
        "created a badge",
        "changed a badge",
        "gave a badge",
        "took a badge back",
        "reordered the badges",
        "deleted a badge",
    ] {
        assert!(
            audit.text.contains(action),
            "{action} is missing from the audit log"
        );
    }
    assert!(audit.text.contains("API key “Wix client”"));
    println!("{report}");
}
