-- The phase document's DDL, verbatim (shared/seeds/000_2f881d665a5f7d76.txt), in document order.
-- tests/test_schema_sql.py loads it beside ours and compares them through SQLite's PRAGMAs.

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

CREATE TABLE narrative_streams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    stream_id TEXT NOT NULL,  -- BODY_KNOWLEDGE, BIOMARKER_MYTHOLOGY, etc.
    coherence REAL DEFAULT 0.0,  -- 0.0-1.0 how well fragments connect
    fluidity REAL DEFAULT 0.0,   -- 0.0-1.0 how much still becoming
    authenticity REAL DEFAULT 0.0,  -- 0.0-1.0 alignment with lived reality
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE,
    UNIQUE(session_id, stream_id)
);

CREATE INDEX idx_narrative_streams_session ON narrative_streams(session_id);

CREATE TABLE antenarrative_fragments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id INTEGER NOT NULL,
    text TEXT NOT NULL,  -- User's exact words
    type TEXT NOT NULL,  -- memory, speculation, contradiction, desire, fear, bet, turning_point
    tensions TEXT,  -- JSON array ["tension1", "tension2"]
    possible_endings TEXT,  -- JSON array ["ending1", "ending2"]
    entangled_with TEXT,  -- JSON array of fragment IDs
    superposition_states TEXT,  -- JSON array of alternative interpretations
    emotional_tone TEXT,  -- joy, fear, curiosity, resistance, hope, etc.
    energy_level TEXT,  -- high, medium, low
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (stream_id) REFERENCES narrative_streams(id) ON DELETE CASCADE
);

CREATE INDEX idx_fragments_stream ON antenarrative_fragments(stream_id);
CREATE INDEX idx_fragments_type ON antenarrative_fragments(type);
CREATE INDEX idx_fragments_timestamp ON antenarrative_fragments(timestamp);

CREATE TABLE quantum_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id INTEGER NOT NULL,
    state TEXT NOT NULL,  -- e.g., "Empowered Tracker"
    probability REAL NOT NULL,  -- 0.0-1.0 (all states for stream sum to 1.0)
    evidence_threads TEXT,  -- JSON array of supporting quotes
    conflicts_with TEXT,  -- JSON array of state names that contradict this
    reinforces TEXT,  -- JSON array of state names that support this
    evolution TEXT,  -- JSON array [{time, probability}, ...] tracking changes
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (stream_id) REFERENCES narrative_streams(id) ON DELETE CASCADE,
    CHECK(probability >= 0.0 AND probability <= 1.0)
);

CREATE INDEX idx_quantum_states_stream ON quantum_states(stream_id);

-- Trigger to validate probabilities sum to ~1.0 per stream
CREATE TRIGGER validate_quantum_probabilities
AFTER INSERT ON quantum_states
BEGIN
    SELECT CASE
        WHEN (SELECT SUM(probability) FROM quantum_states WHERE stream_id = NEW.stream_id) > 1.01
        THEN RAISE(ABORT, 'Quantum state probabilities exceed 1.0 for stream')
    END;
END;

CREATE TABLE temporal_layers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id INTEGER NOT NULL,
    past_story TEXT,  -- User's references to younger self/history
    present_moment TEXT,  -- Current health practices
    future_projection TEXT,  -- Imagined/hoped-for health future
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (stream_id) REFERENCES narrative_streams(id) ON DELETE CASCADE,
    UNIQUE(stream_id)  -- One temporal layer per stream
);

CREATE INDEX idx_temporal_stream ON temporal_layers(stream_id);

CREATE TABLE grand_narratives (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id INTEGER NOT NULL,
    discourse TEXT NOT NULL,  -- Medical authority, Quantified self, Genetic determinism, etc.
    user_stance TEXT NOT NULL,  -- accepting, resisting, negotiating, transforming
    influence REAL DEFAULT 0.5,  -- 0.0-1.0 how much this shapes user's story
    evidence_quotes TEXT,  -- JSON array of user quotes showing engagement
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (stream_id) REFERENCES narrative_streams(id) ON DELETE CASCADE,
    CHECK(user_stance IN ('accepting', 'resisting', 'negotiating', 'transforming')),
    CHECK(influence >= 0.0 AND influence <= 1.0)
);

CREATE INDEX idx_grand_narratives_stream ON grand_narratives(stream_id);
CREATE INDEX idx_grand_narratives_discourse ON grand_narratives(discourse);

CREATE TABLE yama_resonances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fragment_id INTEGER NOT NULL,
    principle TEXT NOT NULL,  -- Ahimsa, Satya, Asteya, Brahmacharya, Aparigraha
    resonance TEXT NOT NULL,  -- alignment, tension, exploration
    insight TEXT,  -- What this tells us about user's ethical navigation
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (fragment_id) REFERENCES antenarrative_fragments(id) ON DELETE CASCADE,
    CHECK(principle IN ('Ahimsa', 'Satya', 'Asteya', 'Brahmacharya', 'Aparigraha')),
    CHECK(resonance IN ('alignment', 'tension', 'exploration'))
);

CREATE INDEX idx_yama_fragment ON yama_resonances(fragment_id);
CREATE INDEX idx_yama_principle ON yama_resonances(principle);

ALTER TABLE sessions ADD COLUMN phase TEXT DEFAULT 'INVOCATION';  
-- INVOCATION, EMERGENCE, ENTANGLEMENT, CRYSTALLIZATION, OPENING

ALTER TABLE sessions ADD COLUMN overall_coherence REAL DEFAULT 0.0;
ALTER TABLE sessions ADD COLUMN narrative_complexity REAL DEFAULT 0.0;
ALTER TABLE sessions ADD COLUMN story_vitality REAL DEFAULT 0.0;
ALTER TABLE sessions ADD COLUMN yama_balance TEXT;  -- JSON {Ahimsa: 0.8, Satya: 0.9, ...}
