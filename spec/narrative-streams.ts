/**
 * MetaGuardian narrative streams: the data model of Phase 6.
 *
 * This file is the single source of truth for the backend: `python -m codegen build`
 * turns it into the SQLite schema, a JSON Schema, Pydantic v2 models, database helpers,
 * the legacy migration and an ER diagram (see the repository README).
 *
 * Constraint tags follow ts-json-schema-generator: @minimum @maximum @exclusiveMinimum
 * @exclusiveMaximum @minLength @maxLength @pattern @format @default @minItems @maxItems.
 *
 * Storage tags are codegen's own:
 *   @table NAME                 (interface) rows are stored in table NAME
 *   @existingTable COL, ...     (interface) the table predates this schema with these columns;
 *                               every other column arrives by ALTER TABLE ADD COLUMN
 *   @createdAt COL / @updatedAt COL   (interface) storage-only timestamp columns
 *   @unique COL, ...            (interface) a composite UNIQUE constraint
 *   @index NAME COL, ...        (interface) a named index
 *   @alias NAME                 (interface) an extra Python name for the model
 *   @primaryKey                 (field) this field is the table's primary key
 *   @column NAME                (field) the column's name, when it differs from the field's
 *   @unique / @index [NAME]     (field) a UNIQUE column / an index on the column
 *   @foreignKey COL             (field holding child rows) the child table's column that
 *                               references this table's primary key
 *   @onDelete ACTION            (same field) cascade | restrict | set null | no action
 *   @defaultNow                 (Date field) defaults to the current time
 *   @sum FIELD TOTAL TOLERANCE  (array field) the items' FIELD sums to TOTAL (+- TOLERANCE)
 *   @renamedFrom OLD            (field) the column was called OLD: the next migration renames
 *                               it instead of dropping one column and adding another
 */

/** What kind of piece of a not-yet-story a fragment is. */
export type FragmentType =
  | 'memory'
  | 'speculation'
  | 'contradiction'
  | 'desire'
  | 'fear'
  | 'bet'
  | 'turning_point';

/** The five narrative streams that replace the five scored dimensions. */
export type StreamId =
  | 'BODY_KNOWLEDGE'
  | 'BIOMARKER_MYTHOLOGY'
  | 'DATA_SYNTHESIS'
  | 'TECHNOLOGY_RELATIONSHIP'
  | 'FUTURE_HEALTH_IMAGINARY';

/** Where a storytelling session stands. */
export type SessionPhase =
  | 'INVOCATION'
  | 'EMERGENCE'
  | 'ENTANGLEMENT'
  | 'CRYSTALLIZATION'
  | 'OPENING';

/** How the user relates to a grand narrative. */
export type UserStance = 'accepting' | 'resisting' | 'negotiating' | 'transforming';

/** The five yamas, the ethical principles a fragment can resonate with. */
export type YamaPrinciple = 'Ahimsa' | 'Satya' | 'Asteya' | 'Brahmacharya' | 'Aparigraha';

/** How a fragment resonates with a yama principle. */
export type Resonance = 'alignment' | 'tension' | 'exploration';

/** How much energy the user's telling of a fragment carries. */
export type EnergyLevel = 'high' | 'medium' | 'low';

/**
 * How an ethical principle resonates in one fragment (Constitutional AI alignment).
 * @table yama_resonances
 * @createdAt created_at
 * @index idx_yama_fragment fragment_id
 */
export interface YamaResonance {
  /**
   * The yama principle concerned.
   * @index idx_yama_principle
   */
  principle: YamaPrinciple;
  /** Whether the fragment aligns with, strains against or explores the principle. */
  resonance: Resonance;
  /** What this tells us about the user's ethical navigation. */
  insight?: string | null;
}

/**
 * A fragment of the user's own words: a story not yet told as a story.
 * @table antenarrative_fragments
 * @alias AntenarativeFragment
 * @index idx_fragments_stream stream_id
 */
export interface AntenarrativeFragment {
  /**
   * The user's exact words.
   * @minLength 1
   */
  text: string;
  /**
   * What kind of fragment this is.
   * @index idx_fragments_type
   */
  type: FragmentType;
  /**
   * Tensions the fragment holds open.
   * @default []
   */
  tensions?: string[];
  /**
   * Endings the fragment could still grow into.
   * @default []
   */
  possible_endings?: string[];
  /**
   * Ids of related fragments.
   * @default []
   */
  entangled_with?: string[];
  /**
   * Alternative interpretations held at once.
   * @default []
   */
  superposition_states?: string[];
  /** The feeling carried: joy, fear, curiosity, resistance, hope, ... */
  emotional_tone?: string | null;
  /** How much energy the telling carries. */
  energy_level?: EnergyLevel | null;
  /**
   * When the user said it.
   * @defaultNow
   * @index idx_fragments_timestamp
   */
  timestamp?: Date;
  /**
   * The ethical resonances found in this fragment.
   * @default []
   * @foreignKey fragment_id
   * @onDelete cascade
   */
  yama_resonances?: YamaResonance[];
}

/** One moment in the history of a quantum state's probability. */
export interface ProbabilitySnapshot {
  /** When the probability was observed; null when the source had no date. */
  time: Date | null;
  /**
   * The probability at that time.
   * @minimum 0
   * @maximum 1
   */
  probability: number;
}

/**
 * One of several simultaneous health identities, with its probability.
 * @table quantum_states
 * @createdAt created_at
 * @updatedAt updated_at
 * @index idx_quantum_states_stream stream_id
 */
export interface QuantumState {
  /**
   * The health identity's name, e.g. "Empowered Tracker".
   * @minLength 1
   */
  state: string;
  /**
   * How likely this identity is; all states of a stream sum to 1.
   * @minimum 0
   * @maximum 1
   */
  probability: number;
  /**
   * Quotes that support this state.
   * @default []
   */
  evidence_threads?: string[];
  /** Names of states that contradict this one. */
  conflicts_with?: string[] | null;
  /** Names of states that support this one. */
  reinforces?: string[] | null;
  /**
   * How the probability changed over time.
   * @default []
   */
  evolution?: ProbabilitySnapshot[];
}

/**
 * Past, present and future as the user tells them, collapsed into one moment.
 * @table temporal_layers
 * @createdAt created_at
 * @updatedAt updated_at
 * @unique stream_id
 * @index idx_temporal_stream stream_id
 */
export interface TemporalLayers {
  /**
   * The user's references to a younger self and to history.
   * @default ""
   */
  past_story?: string;
  /**
   * Current health practices.
   * @default ""
   */
  present_moment?: string;
  /**
   * The imagined or hoped-for health future.
   * @default ""
   */
  future_projection?: string;
}

/**
 * A cultural or medical discourse the user negotiates with.
 * @table grand_narratives
 * @createdAt created_at
 * @updatedAt updated_at
 * @index idx_grand_narratives_stream stream_id
 */
export interface GrandNarrative {
  /**
   * The discourse: medical authority, quantified self, genetic determinism, ...
   * @minLength 1
   * @index idx_grand_narratives_discourse
   */
  discourse: string;
  /** How the user relates to the discourse. */
  user_stance: UserStance;
  /**
   * How much the discourse shapes the user's story.
   * @minimum 0
   * @maximum 1
   * @default 0.5
   */
  influence?: number;
  /**
   * The user's quotes that show the engagement.
   * @default []
   */
  evidence_quotes?: string[];
}

/**
 * One narrative stream of a session, replacing one scored dimension.
 * @table narrative_streams
 * @createdAt created_at
 * @updatedAt updated_at
 * @unique session_id, stream_id
 * @index idx_narrative_streams_session session_id
 */
export interface NarrativeStream {
  /** Which of the five streams this is. */
  stream_id: StreamId;
  /**
   * The fragments told in this stream, oldest first.
   * @default []
   * @foreignKey stream_id
   * @onDelete cascade
   */
  fragments?: AntenarrativeFragment[];
  /**
   * The identities the user may hold, with probabilities summing to 1.
   * @default []
   * @foreignKey stream_id
   * @onDelete cascade
   * @sum probability 1.0 0.01
   */
  possible_states?: QuantumState[];
  /**
   * Past, present and future of this stream; at most one.
   * @foreignKey stream_id
   * @onDelete cascade
   */
  temporal_layers?: TemporalLayers | null;
  /**
   * The discourses the user negotiates with in this stream.
   * @default []
   * @foreignKey stream_id
   * @onDelete cascade
   */
  grand_narratives?: GrandNarrative[];
  /**
   * How well the fragments connect.
   * @minimum 0
   * @maximum 1
   * @default 0
   */
  coherence?: number;
  /**
   * How much the story is still becoming.
   * @minimum 0
   * @maximum 1
   * @default 0
   */
  fluidity?: number;
  /**
   * How well the story aligns with lived reality.
   * @minimum 0
   * @maximum 1
   * @default 0
   */
  authenticity?: number;
}

/**
 * A whole storytelling session: the aggregate the backend saves and loads.
 * @table sessions
 * @existingTable id, user_id, created_at, transcript
 */
export interface QuantumStorySession {
  /**
   * The session's id.
   * @primaryKey
   * @column id
   * @minLength 1
   */
  session_id: string;
  /**
   * The user the session belongs to.
   * @minLength 1
   */
  user_id: string;
  /**
   * The session's narrative streams, at most one of each kind.
   * @default []
   * @foreignKey session_id
   * @onDelete cascade
   */
  streams?: NarrativeStream[];
  /**
   * Where the session stands.
   * @default "INVOCATION"
   */
  phase?: SessionPhase;
  /**
   * How well the streams hang together.
   * @minimum 0
   * @maximum 1
   * @default 0
   */
  overall_coherence?: number;
  /**
   * How many threads the story holds at once.
   * @minimum 0
   * @maximum 1
   * @default 0
   */
  narrative_complexity?: number;
  /**
   * How alive the story is.
   * @minimum 0
   * @maximum 1
   * @default 0
   */
  story_vitality?: number;
  /**
   * Balance per yama principle, e.g. {"Ahimsa": 0.8, "Satya": 0.9}.
   * @default {}
   */
  yama_balance?: Record<string, number>;
  /** The session's transcript. */
  transcript?: string | null;
  /**
   * When the session started; null for legacy sessions that never recorded it.
   * @defaultNow
   */
  created_at?: Date | null;
}
