import GRDB

/// The schema's history. Frozen: a migration that has shipped is never edited; change the schema with a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1 admin tokens and sessions") { db in
            try db.execute(sql: """
                CREATE TABLE admin_token (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,          -- hex SHA-256 of the whole token; the token itself is never stored
                    created_at TEXT NOT NULL,
                    last_used_at TEXT,
                    revoked_at TEXT
                );
                CREATE TABLE admin_session (
                    hash TEXT PRIMARY KEY NOT NULL,     -- hex SHA-256 of the cookie value
                    id TEXT NOT NULL UNIQUE,            -- a public handle for logs and history, not the cookie
                    token_id TEXT NOT NULL REFERENCES admin_token(id) ON DELETE CASCADE,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL
                );
                CREATE INDEX admin_session_token ON admin_session(token_id);
                """)
        }
        migrator.registerMigration("v2 settings document revisions") { db in
            try db.execute(sql: """
                CREATE TABLE config_revision (
                    revision INTEGER PRIMARY KEY NOT NULL,  -- 1, 2, 3, ... with no gaps; the newest is current
                    document TEXT NOT NULL,                 -- the operator's values only; defaults are laid under on read
                    created_at TEXT NOT NULL,
                    actor TEXT NOT NULL,                    -- token:tok_… or session:ses_…, never a secret
                    request_id TEXT,
                    changed_paths TEXT NOT NULL,            -- JSON array of JSON pointers
                    restored_from INTEGER                   -- set when this revision undid others (revert)
                );
                INSERT INTO config_revision (revision, document, created_at, actor, changed_paths)
                VALUES (1, '{}', strftime('%Y-%m-%d %H:%M:%f', 'now'), 'system', '[]');
                """)
        }
        migrator.registerMigration("v3 accounts and audit log") { db in
            try db.execute(sql: """
                CREATE TABLE account (
                    id TEXT PRIMARY KEY NOT NULL,           -- <provider>:<name>, a validated slug
                    provider TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    auth_method TEXT,
                    base_url TEXT,
                    headers TEXT NOT NULL DEFAULT '{}',     -- JSON object; never auth headers
                    max_concurrent INTEGER,
                    timeout_seconds INTEGER,
                    default_model TEXT,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    -- The credential: its file under <state>/credentials (encrypted) and metadata only, never the secret.
                    credential_file TEXT,
                    credential_kind TEXT,
                    credential_hint TEXT,
                    credential_origin TEXT,
                    credential_updated_at TEXT,
                    credential_version INTEGER NOT NULL DEFAULT 0,
                    last_test_at TEXT,
                    last_test_ok INTEGER,
                    last_test_category TEXT,
                    last_test_summary TEXT
                );
                CREATE INDEX account_provider ON account(provider, created_at);

                CREATE TABLE audit_event (
                    seq INTEGER PRIMARY KEY NOT NULL,       -- 1, 2, 3, ... with no gaps
                    at TEXT NOT NULL,
                    type TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    target TEXT,
                    request_id TEXT,
                    detail TEXT NOT NULL,                   -- JSON object of non-secret facts
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL                      -- SHA-256 over prev_hash and this event's fields
                );
                CREATE INDEX audit_event_type ON audit_event(type, seq);
                CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
                    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
                    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
                -- The newest event, kept apart so that removing the last rows is detected too.
                CREATE TABLE audit_head (
                    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                    seq INTEGER NOT NULL,
                    hash TEXT NOT NULL
                );
                -- One-time steps that happened (the import of environment keys).
                CREATE TABLE state_flag (
                    name TEXT PRIMARY KEY NOT NULL,
                    set_at TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4 discovered models") { db in
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN models_fetched_at TEXT;
                CREATE TABLE discovered_model (
                    account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    context_window INTEGER,
                    PRIMARY KEY (account_id, id)
                );
                """)
        }
        migrator.registerMigration("v5 oauth and pairing") { db in
            try db.execute(sql: """
                -- Whether the operator allowed direct API calls with an OAuth account's tokens (issue 6's use policy).
                ALTER TABLE account ADD COLUMN direct_api_allowed INTEGER NOT NULL DEFAULT 0;

                -- The operator's OAuth client for a provider, replacing the built-in default. The client secret,
                -- when there is one, is a vault file like any credential.
                CREATE TABLE oauth_client (
                    provider TEXT PRIMARY KEY NOT NULL,
                    settings TEXT NOT NULL,                 -- JSON: urls, client id, scopes, redirect mode, issuer
                    secret_file TEXT,
                    updated_at TEXT NOT NULL
                );

                -- One sign-in in progress: browser (code + PKCE), paste or device code. `state_hash` is the
                -- SHA-256 of the state sent to the provider; the state itself is never stored.
                CREATE TABLE oauth_flow (
                    id TEXT PRIMARY KEY NOT NULL,
                    state_hash TEXT UNIQUE,
                    provider TEXT NOT NULL,
                    account_id TEXT,                        -- the account to sign in again, or null for a new one
                    actor TEXT NOT NULL,                    -- who started it: session:… or token:…
                    binding_hash TEXT,                      -- SHA-256 of the browser binding cookie (session starts)
                    mode TEXT NOT NULL,                     -- browser | paste | device
                    verifier TEXT,                          -- the PKCE code verifier
                    redirect_uri TEXT,
                    device_code TEXT,
                    user_code TEXT,
                    verification_uri TEXT,
                    verification_uri_complete TEXT,
                    interval INTEGER,
                    next_poll_at TEXT,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    consumed_at TEXT,
                    status TEXT NOT NULL DEFAULT 'waiting', -- waiting | completed | failed | expired
                    result_account TEXT,
                    category TEXT,
                    message TEXT,
                    missing_scopes TEXT
                );
                CREATE INDEX oauth_flow_created ON oauth_flow(created_at);

                -- Pairing codes: only the SHA-256 of the normalised code is kept.
                CREATE TABLE pairing (
                    id TEXT PRIMARY KEY NOT NULL,
                    provider TEXT NOT NULL,
                    account_id TEXT,
                    code_hash TEXT,
                    actor TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    failed_attempts INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL DEFAULT 'waiting', -- waiting | completed | expired | burned
                    result_account TEXT,
                    completed_at TEXT
                );
                CREATE INDEX pairing_provider ON pairing(provider, status);
                """)
        }
        migrator.registerMigration("v6 keyed audit chain") { db in
            try db.execute(sql: """
                -- The audit key (keys/audit-<id>.key) whose HMAC-SHA256 is the event's hash. NULL for the events
                -- written before, whose hash stays plain SHA-256; the first keyed event chains onto them.
                ALTER TABLE audit_event ADD COLUMN key_id INTEGER;
                ALTER TABLE audit_head ADD COLUMN key_id INTEGER;
                """)
        }
        migrator.registerMigration("v7 routing") { db in
            try db.execute(sql: """
                -- What a token may call: 'admin' (everything), or 'runtime' with optional 'credentials'
                -- (space-separated). Every token made before routing existed is an admin token.
                ALTER TABLE admin_token ADD COLUMN scopes TEXT NOT NULL DEFAULT 'admin';

                -- Outcomes that change routing state (failures, and an ok that clears one), in the order they
                -- were recorded. Every process replays them in this order into the same cooldown ledger.
                CREATE TABLE route_outcome (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    model TEXT NOT NULL,                    -- the provider's own model id
                    outcome TEXT NOT NULL,
                    retry_after_ms INTEGER,
                    reset_at TEXT,
                    http_status INTEGER,
                    decision_id TEXT
                );
                CREATE INDEX route_outcome_at ON route_outcome(at);

                -- Decisions, kept an hour: an outcome that reaches another process than the one that decided finds
                -- its decision here, and the status page shows the last ones with their explanation.
                CREATE TABLE route_decision (
                    id TEXT PRIMARY KEY NOT NULL,
                    process TEXT NOT NULL,                  -- the process that decided, so it skips its own rows
                    at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    model TEXT NOT NULL,
                    requested TEXT NOT NULL,                -- what was asked: provider/model, an alias or a bare id
                    step TEXT NOT NULL,                     -- the step of the chain that served (a fallback's), the pin's key
                    session TEXT,
                    agent TEXT,
                    runtime TEXT,
                    token_id TEXT NOT NULL,
                    explain TEXT NOT NULL,                  -- JSON array of strings
                    outcome TEXT,
                    outcome_at TEXT
                );
                CREATE INDEX route_decision_at ON route_decision(at);

                -- Each process's decisions in flight and latest use per account, rewritten with its batches (at least
                -- every second while it runs): other processes add these up instead of counting decisions, and a
                -- process that stopped writing (crashed) stops counting after a few seconds.
                CREATE TABLE route_flight (
                    process TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    in_flight INTEGER NOT NULL,
                    last_used REAL NOT NULL,                -- seconds since 1970
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (process, account_id)
                );

                -- Session pins: a session keeps the account that last served it a model.
                CREATE TABLE route_pin (
                    session TEXT NOT NULL,
                    model TEXT NOT NULL,                    -- provider/model
                    account_id TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (session, model)
                );
                CREATE INDEX route_pin_updated ON route_pin(updated_at);

                -- What the provider's rate-limit headers said, per account and window.
                CREATE TABLE account_quota (
                    account_id TEXT NOT NULL,
                    window TEXT NOT NULL,                   -- requests, tokens, input_tokens, unified_5h, ...
                    quota_limit REAL,
                    remaining REAL,
                    used_fraction REAL,
                    reset_at TEXT,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (account_id, window)
                );

                -- Credentials handed out, counted per token, account and hour; audited once when the hour is over.
                CREATE TABLE credential_lease (
                    token_id TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    hour TEXT NOT NULL,                     -- yyyy-MM-ddTHH UTC
                    count INTEGER NOT NULL,
                    first_at TEXT NOT NULL,
                    last_at TEXT NOT NULL,
                    audited_at TEXT,
                    PRIMARY KEY (token_id, account_id, hour)
                );
                """)
        }
        migrator.registerMigration("v8 provider CLIs") { db in
            try db.execute(sql: """
                -- Each provider CLI Switchboard knows (claude, codex, gemini, opencode), as the last scan found it.
                CREATE TABLE cli_tool (
                    name TEXT PRIMARY KEY,
                    path TEXT,                              -- where the last scan found it; NULL when it is not installed
                    version TEXT,                           -- parsed: 2.1.211
                    version_text TEXT,                      -- as printed: 2.1.211 (Claude Code)
                    first_seen TEXT,
                    last_seen TEXT,
                    stale INTEGER NOT NULL DEFAULT 0,       -- the version changed since its models were checked
                    models TEXT,                            -- JSON: the models with their typed parameters
                    models_source TEXT,                     -- cli | data
                    models_version TEXT,                    -- the CLI version the models were read from or written for
                    synced_at TEXT,
                    sync_error TEXT,
                    updated_at TEXT NOT NULL
                );

                -- What happened to a CLI: version changes, installs, removals, re-syncs. Kept as history.
                CREATE TABLE cli_notice (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tool TEXT NOT NULL,
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,                     -- installed | updated | removed | synced | sync_failed
                    message TEXT NOT NULL
                );
                CREATE INDEX cli_notice_tool ON cli_notice(tool, id);

                -- An account of a CLI: a profile (its own config home), never a secret. The CLI keeps its tokens.
                CREATE TABLE cli_account (
                    id TEXT PRIMARY KEY,
                    tool TEXT NOT NULL,
                    display_name TEXT NOT NULL,
                    home TEXT NOT NULL,
                    managed INTEGER NOT NULL,               -- 1: made under the state directory; 0: the operator's own
                    auth_status TEXT NOT NULL,              -- signed_in | signed_out | unknown
                    auth_detail TEXT,
                    auth_email TEXT,
                    auth_plan TEXT,
                    auth_checked_at TEXT,
                    max_concurrent INTEGER,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );

                -- Named model selections: a CLI model with parameter values and the accounts that serve it.
                CREATE TABLE cli_selection (
                    name TEXT PRIMARY KEY,
                    tool TEXT NOT NULL,
                    model TEXT NOT NULL,                    -- the CLI's own model id
                    parameter_values TEXT NOT NULL,         -- JSON object
                    accounts TEXT NOT NULL,                 -- JSON array of cli_account ids; empty: all of the tool's
                    prompt_mode TEXT NOT NULL,              -- stdin | arg
                    revision INTEGER NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                """)
        }
        return migrator
    }
}
