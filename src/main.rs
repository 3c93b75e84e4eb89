//! The `insignia` command: serve, demo, admin create, backup.

use std::io::{BufRead, IsTerminal, Write};

use clap::{Parser, Subcommand};
use insignia::config::{self, Settings};
use insignia::webhooks::worker;
use insignia::{Application, auth::admins, db, demo};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Parser)]
#[command(name = "insignia", version, about = "Self-hosted member badges")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DatabaseArg {
    /// SQLite database file (created when missing), or a PostgreSQL URL
    /// (`postgres://user:password@host:port/dbname`).
    #[arg(long, env = "INSIGNIA_DATABASE", hide_env_values = true, default_value = "insignia.db", value_parser = parse_location)]
    database: db::Location,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "INSIGNIA_BIND", default_value = config::DEFAULT_BIND)]
        bind: String,
        #[command(flatten)]
        db: DatabaseArg,
        /// Minutes a password confirmation unlocks restricted operations after the last one
        /// (each restricted action extends it, as GitHub's sudo mode does).
        #[arg(long, env = "INSIGNIA_ELEVATION_MINUTES", default_value_t = config::DEFAULT_ELEVATION_MINUTES, value_parser = clap::value_parser!(i64).range(1..=1440))]
        elevation_minutes: i64,
        /// Minutes at most a password confirmation lasts in all, however busy the session;
        /// then the password is asked again.
        #[arg(long, env = "INSIGNIA_ELEVATION_MAX_MINUTES", default_value_t = config::DEFAULT_ELEVATION_MAX_MINUTES, value_parser = clap::value_parser!(i64).range(1..=10080))]
        elevation_max_minutes: i64,
        /// Mark the session cookie Secure (set when Insignia is served over https).
        #[arg(long, env = "INSIGNIA_SECURE_COOKIES", default_value_t = false)]
        secure_cookies: bool,
        /// Whether visitors may sign up as members at /signup.
        #[arg(long, env = "INSIGNIA_SIGNUPS", value_enum, default_value_t = Signups::Open)]
        signups: Signups,
        /// Changes per minute the JSON API accepts from one API key, and from one address.
        #[arg(long, env = "INSIGNIA_API_WRITES_PER_MINUTE", default_value_t = config::DEFAULT_API_WRITES_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
        api_writes_per_minute: u32,
        /// Member sign-up attempts per hour accepted from one client address (an IPv6 /64).
        #[arg(long, env = "INSIGNIA_SIGNUPS_PER_HOUR", default_value_t = config::DEFAULT_SIGNUPS_PER_HOUR, value_parser = clap::value_parser!(u32).range(1..))]
        signups_per_hour: u32,
        /// Changes per minute a member may make to their own account and profile on /me.
        #[arg(long, env = "INSIGNIA_MEMBER_CHANGES_PER_MINUTE", default_value_t = config::DEFAULT_MEMBER_CHANGES_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
        member_changes_per_minute: u32,
        /// Reverse proxies in front of Insignia (CIDR,CIDR…, such as 127.0.0.1,10.0.0.0/8).
        /// Only connections from them may name the client in X-Forwarded-For (or Forwarded);
        /// default: none, the headers are ignored.
        #[arg(long, env = "INSIGNIA_TRUSTED_PROXIES")]
        trusted_proxies: Option<insignia::web::client::TrustedProxies>,
        /// The address people reach the site at (https://badges.example.org), for the links
        /// Insignia writes out; default: the address it listens on.
        #[arg(long, env = "INSIGNIA_PUBLIC_URL")]
        public_url: Option<insignia::config::PublicUrl>,
        /// Serve /metrics (Prometheus text format) on this address, apart from the site:
        /// 127.0.0.1:9464, or an address only the monitoring network reaches. Off by default;
        /// never served on --bind.
        #[arg(long, env = "INSIGNIA_METRICS_BIND")]
        metrics_bind: Option<String>,
        /// Let webhooks go to loopback and private-network addresses (refused by default).
        #[arg(long, env = "INSIGNIA_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false)]
        webhooks_allow_private: bool,
        /// Milliseconds of the first webhook retry; later ones are multiples (5 min, 30 min,
        /// … at the default). For tests.
        #[arg(long, env = "INSIGNIA_WEBHOOKS_RETRY_UNIT_MS", default_value_t = worker::DEFAULT_RETRY_UNIT_MS, hide = true, value_parser = clap::value_parser!(u64).range(1..))]
        webhooks_retry_unit_ms: u64,
        /// Milliseconds one webhook request may take. For tests.
        #[arg(long, env = "INSIGNIA_WEBHOOKS_TIMEOUT_MS", default_value_t = worker::DEFAULT_TIMEOUT_MS, hide = true, value_parser = clap::value_parser!(u64).range(100..))]
        webhooks_timeout_ms: u64,
        /// Send mail through this SMTP server: smtps://user:password@host:465 (TLS),
        /// smtp://user:password@host:587?tls=required (STARTTLS), or smtp://127.0.0.1:25 (no
        /// TLS, this machine only). Set INSIGNIA_SMTP_URL instead to keep the password out of
        /// the process list. Default: mail is off.
        #[arg(long, env = "INSIGNIA_SMTP_URL", hide_env_values = true)]
        smtp_url: Option<String>,
        /// Who mail is from: "Badges <badges@example.org>". Default: Insignia at the public
        /// address's host.
        #[arg(long, env = "INSIGNIA_MAIL_FROM")]
        mail_from: Option<String>,
        /// Milliseconds of the first retry of a deferred mail; later ones are multiples (1 min,
        /// 5 min, 30 min, … at the default). For tests.
        #[arg(long, env = "INSIGNIA_MAIL_RETRY_UNIT_MS", default_value_t = insignia::mail::settings::DEFAULT_RETRY_UNIT_MS, hide = true, value_parser = clap::value_parser!(u64).range(1..))]
        mail_retry_unit_ms: u64,
        /// Milliseconds badge mail waits for more badges of the same member (one mail for
        /// several). For tests.
        #[arg(long, env = "INSIGNIA_MAIL_GATHER_MS", default_value_t = insignia_core::mail::outbox::GATHER.as_millis() as u64, hide = true)]
        mail_gather_ms: u64,
    },
    /// Fill a database with a demo site: badges, members and assignments.
    Demo {
        #[command(flatten)]
        db: DatabaseArg,
        /// How many members to add.
        #[arg(long, default_value_t = 200)]
        members: usize,
        /// How many assignments to spread over them (default: three per member).
        #[arg(long)]
        assignments: Option<usize>,
    },
    /// Manage admin accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Copy a whole site from its SQLite file to an empty PostgreSQL database, then verify
    /// the copy (row counts and a checksum of every table).
    Migrate {
        /// The SQLite file the site is in now.
        #[arg(long)]
        from: String,
        /// The PostgreSQL database to move it to (postgres://user:password@host:port/dbname);
        /// it must be empty. Set INSIGNIA_MIGRATE_TO instead to keep the password out of the
        /// process list.
        #[arg(long, env = "INSIGNIA_MIGRATE_TO", hide_env_values = true, value_parser = parse_location)]
        to: db::Location,
    },
    /// Copy a live SQLite site to a file while it serves, and check the copy; on PostgreSQL,
    /// print the pg_dump command to use. Restore by starting Insignia on the copy
    /// (`insignia serve --database FILE`).
    Backup {
        /// The file to write; an existing file is kept unless --force is given.
        #[arg(long)]
        to: std::path::PathBuf,
        /// Replace the file at --to when there is one.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Manage members: import them from a CSV file.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Signups {
    Open,
    Closed,
}

#[derive(Subcommand)]
enum MembersCommand {
    /// Import members from a CSV file with the header `name,email`, in one transaction.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Only report what each row would do; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Invite the members it creates by mail (sent by a server started with --smtp-url).
        #[arg(long)]
        invite: bool,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("insignia: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates under contention an arena of its own (up to eight
/// per core), and memory freed in one is not reused by another: a server whose request
/// threads take turns on bursts of work ends up holding several copies of its peak. Two
/// arenas keep the resident size near what is in use, at no cost measurable here.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            bind,
            db,
            elevation_minutes,
            elevation_max_minutes,
            secure_cookies,
            signups,
            api_writes_per_minute,
            signups_per_hour,
            member_changes_per_minute,
            trusted_proxies,
            public_url,
            metrics_bind,
            webhooks_allow_private,
            webhooks_retry_unit_ms,
            webhooks_timeout_ms,
            smtp_url,
            mail_from,
            mail_retry_unit_ms,
            mail_gather_ms,
        } => {
            // Parsed here, not by clap, whose refusal would repeat the value (and its password).
            let mail = smtp_url
                .map(|url| {
                    let smtp = insignia::mail::SmtpUrl::parse(&url)
                        .map_err(|e| format!("--smtp-url: {e}"))?;
                    let from = match &mail_from {
                        Some(from) => insignia::mail::MailFrom::parse(from)
                            .map_err(|e| format!("--mail-from: {e}"))?,
                        None => default_mail_from(public_url.as_ref())?,
                    };
                    let mut mail = insignia::mail::Settings::new(smtp, from);
                    mail.retry_unit = std::time::Duration::from_millis(mail_retry_unit_ms);
                    mail.gather = std::time::Duration::from_millis(mail_gather_ms);
                    Ok::<_, String>(mail)
                })
                .transpose()?;
            if mail.is_none() && mail_from.is_some() {
                return Err("--mail-from needs --smtp-url (mail is off without it)".to_string());
            }
            tracing_subscriber::fmt()
                .with_env_filter(
                    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
                )
                .with_span_events(FmtSpan::CLOSE)
                .with_ansi(std::io::stderr().is_terminal())
                .with_writer(std::io::stderr)
                .init();
            let mut settings = Settings::new(bind, db.database);
            settings.elevation_minutes = elevation_minutes;
            settings.elevation_max_minutes = elevation_max_minutes;
            settings.secure_cookies = secure_cookies;
            settings.signups_open = signups == Signups::Open;
            settings.api_writes_per_minute = api_writes_per_minute;
            settings.signups_per_hour = signups_per_hour;
            settings.member_changes_per_minute = member_changes_per_minute;
            settings.trusted_proxies = trusted_proxies.unwrap_or_default();
            settings.public_url = public_url;
            settings.metrics_bind = metrics_bind;
            settings.webhooks.allow_private = webhooks_allow_private;
            settings.webhooks.retry_unit = std::time::Duration::from_millis(webhooks_retry_unit_ms);
            settings.webhooks.timeout = std::time::Duration::from_millis(webhooks_timeout_ms);
            settings.secret_key = std::env::var("INSIGNIA_SECRET_KEY").ok();
            settings.mail = mail;
            actix_web::rt::System::new().block_on(async move {
                let app =
                    Application::build(settings.clone()).map_err(|e| format!("{e}: {e:?}"))?;
                tracing::info!(
                    "Insignia listening on http://{}:{} (database {})",
                    settings
                        .bind
                        .rsplit_once(':')
                        .map_or("127.0.0.1", |(host, _)| host),
                    app.port(),
                    settings.database
                );
                if let (Some(bind), Some(port)) = (&settings.metrics_bind, app.metrics_port()) {
                    tracing::info!(
                        "Metrics at http://{}:{port}/metrics",
                        bind.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host)
                    );
                }
                app.run_until_stopped().await.map_err(|e| e.to_string())
            })
        }
        Command::Demo {
            db,
            members,
            assignments,
        } => {
            let size = demo::DemoSize {
                members,
                assignments: assignments.unwrap_or(members * 3),
            };
            let report = demo::fill(&db.database, size).map_err(|e| e.detail())?;
            println!("{report}");
            println!("{}", demo::start_hint(&db.database));
            Ok(())
        }
        Command::Migrate { from, to } => {
            let started = std::time::Instant::now();
            let progress = ProgressBars::default();
            let moved = insignia::migrate::run(&from, &to, &progress).map_err(|e| e.detail())?;
            progress.finish();
            for (table, rows) in &moved.tables {
                println!("{table:>16}  {rows:>10} rows");
            }
            println!(
                "Moved {from} to {to} in {:.1} s; every table verified (row count and SHA-256).",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Backup { to, force, db } => backup(&db.database, &to, force),
        Command::Members {
            command:
                MembersCommand::Import {
                    file,
                    dry_run,
                    invite,
                    db,
                },
        } => import_members(&file, dry_run, invite, &db.database),
        Command::Admin {
            command: AdminCommand::Create { email, db },
        } => {
            let password = read_password()?;
            let pool = insignia_core::open_site(&db.database).map_err(|e| format!("{e:?}"))?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            match admins::create(&mut conn, &email, &password, false)
                .map_err(|e| format!("{e:?}"))?
            {
                Ok(admin) => {
                    println!(
                        "Admin {} created. Sign in at /dashboard/login.",
                        admin.email
                    );
                    Ok(())
                }
                Err(admins::CreateError::Email(m)) => Err(format!("e-mail {m}")),
                Err(admins::CreateError::Password(m)) => Err(format!("password {m}")),
                Err(admins::CreateError::EmailTaken) => Err(format!("{email} is already an admin")),
                Err(admins::CreateError::NotFirst) => Err("an admin already exists".to_string()),
            }
        }
    }
}

/// A progress bar per table on standard error.
#[derive(Default)]
struct ProgressBars {
    current: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl ProgressBars {
    fn replace(&self, next: Option<indicatif::ProgressBar>) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = current.take() {
            done.finish();
        }
        *current = next;
    }

    fn finish(&self) {
        self.replace(None);
    }
}

impl insignia::migrate::Progress for ProgressBars {
    fn table(&self, name: &str, rows: u64) {
        let bar = indicatif::ProgressBar::new(rows).with_message(format!("copying {name}"));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>28} [{bar:30}] {pos}/{len} rows ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        self.replace(Some(bar));
    }

    fn rows(&self, done: u64) {
        if let Some(bar) = &*self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.set_position(done);
        }
    }

    fn verifying(&self, name: &str) {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_message(format!("verifying {name}"));
        self.replace(Some(spinner));
    }
}

/// The sender when `--mail-from` is not given: Insignia at the public address's host name
/// (`localhost` when there is none, or it is a number).
fn default_mail_from(
    public_url: Option<&insignia::config::PublicUrl>,
) -> Result<insignia::mail::MailFrom, String> {
    let host = public_url
        .and_then(|url| url::Url::parse(url.as_str()).ok())
        .and_then(|url| url.domain().map(str::to_string))
        .unwrap_or_else(|| "localhost".to_string());
    insignia::mail::MailFrom::parse(&format!("Insignia <insignia@{host}>"))
        .map_err(|e| format!("--mail-from is needed: {e}"))
}

fn parse_location(value: &str) -> Result<db::Location, String> {
    Ok(db::Location::parse(value))
}

fn import_members(
    file: &std::path::Path,
    dry_run: bool,
    invite: bool,
    database: &db::Location,
) -> Result<(), String> {
    use insignia::members::import::{self, RowStatus};
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let pool = insignia_core::open_site(database).map_err(|e| format!("{e:?}"))?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let actor = insignia::audit::Actor::system();
    let outcome = if dry_run {
        import::plan(&mut conn, &text)
    } else {
        import::apply(&mut conn, &actor, &text, invite)
    }
    .map_err(|e| format!("{e:?}"))?;
    let rows = outcome.map_err(|e| format!("{e} Nothing was imported."))?;
    for row in &rows {
        match &row.status {
            RowStatus::Created => {}
            RowStatus::AlreadyExists => println!("line {}: {} already exists", row.line, row.email),
            RowStatus::Invalid(reason) => println!("line {}: invalid: {reason}", row.line),
        }
    }
    let (created, existing, invalid) = import::summary(&rows);
    let verb = if dry_run {
        "would be created (dry run: nothing written)"
    } else {
        "created"
    };
    println!("{created} {verb}, {existing} already exist, {invalid} invalid");
    if invite && !dry_run && created > 0 {
        println!("{created} invited by mail (sent by a server started with --smtp-url)");
    }
    Ok(())
}

fn backup(database: &db::Location, to: &std::path::Path, force: bool) -> Result<(), String> {
    use insignia::db::backup;
    use insignia::text::grouped;
    let source = match database {
        db::Location::Sqlite(path) => path,
        db::Location::Postgres(url) => {
            let (dump, restore) = backup::pg_dump_command(url, to);
            println!(
                "This site is on PostgreSQL: back it up with pg_dump, which takes a consistent \
                 copy while Insignia serves. It asks for the password (or reads PGPASSWORD or \
                 ~/.pgpass):\n\n  {dump}\n\nThe file holds webhook secrets and password hashes: \
                 keep it readable by its owner only. Restore it into an empty database, then \
                 start Insignia with --database pointing at that database:\n\n  {restore}"
            );
            return Ok(());
        }
    };
    // A big site takes a while: a terminal is told what is going on.
    let on_step = |step: backup::Step| {
        if std::io::stderr().is_terminal() {
            eprintln!(
                "{}",
                match step {
                    backup::Step::Copying => "Copying (the site goes on serving)…",
                    backup::Step::Checking => "Checking the copy…",
                }
            );
        }
    };
    let copy = backup::sqlite(source, to, force, &on_step).map_err(|e| e.to_string())?;
    let check = &copy.check;
    println!(
        "Backed up {source} to {} ({:.1} MB) in {:.1} s: a consistent copy of the site as it \
         was when the copy began, readable by its owner only.",
        copy.path.display(),
        copy.bytes as f64 / 1e6,
        copy.copy_took.as_secs_f64()
    );
    println!(
        "Checked in {:.1} s: integrity ok, every reference ok, stored counts equal to the rows \
         ({} badges, {} members, {} assignments).",
        copy.check_took.as_secs_f64(),
        grouped(check.badges.max(0) as usize),
        grouped(check.members.max(0) as usize),
        grouped(check.assignments.max(0) as usize),
    );
    for (table, rows) in &check.tables {
        println!(
            "{table:>24}  {:>12} rows",
            grouped(rows.max(&0).unsigned_abs() as usize)
        );
    }
    println!(
        "To restore: stop Insignia, then start it on the copy: insignia serve --database {}",
        copy.path.display()
    );
    Ok(())
}

/// One line from standard input; prompts when it is a terminal.
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
