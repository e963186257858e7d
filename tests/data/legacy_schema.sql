-- Current tables
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TIMESTAMP,
    transcript TEXT,
    dimensions JSON  -- {HL: {score, confidence}, CM: {...}, ...}
);

CREATE TABLE evidence_log (
    id INTEGER PRIMARY KEY,
    session_id TEXT,
    dimension TEXT,  -- HL, CM, DI, DL, PR
    type TEXT,
    summary TEXT,
    timestamp TIMESTAMP
);

