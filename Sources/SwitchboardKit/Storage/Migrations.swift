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
        return migrator
    }
}
