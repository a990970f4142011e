import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { AccessMode } from "../grants/credential-access.js";
import type { PoolUse } from "../storage/database.js";
import type { GrantUseOutcome, RefreshOutcome, SessionEndOutcome, VaultMetrics } from "./vault-metrics.js";

/** Gauges read when scraped, from the parts that hold the numbers. */
export interface ObservedState {
  heldPolls(): number;
  /** Null for SQLite: one connection, no pool to run out of. */
  poolUse(): PoolUse | null;
}

/**
 * The vault's Prometheus series, in a registry of its own (not the library's global one), so that
 * several vaults in one process (tests) keep separate counts.
 */
export class PrometheusMetrics implements VaultMetrics {
  readonly registry = new Registry();
  readonly #grantUse: Histogram<"mode" | "outcome">;
  readonly #refreshes: Counter<"outcome">;
  readonly #sessions: Counter<"outcome">;
  readonly #auditAppend: Histogram;
  #observed: ObservedState | null = null;

  constructor() {
    const registers = [this.registry];
    // process_* and nodejs_* under their usual names, as dashboards expect them.
    collectDefaultMetrics({ register: this.registry });
    this.#grantUse = new Histogram({
      name: "grantvault_grant_use_duration_seconds",
      help: "Uses of a grant (retrieve: token handed out; proxy: call made by the vault), by outcome.",
      labelNames: ["mode", "outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#refreshes = new Counter({
      name: "grantvault_token_refreshes_total",
      help: "Token refreshes, by outcome.",
      labelNames: ["outcome"],
      registers,
    });
    this.#sessions = new Counter({
      name: "grantvault_connect_sessions_total",
      help: "Connect sessions ended, by outcome (completed, denied, failed).",
      labelNames: ["outcome"],
      registers,
    });
    this.#auditAppend = new Histogram({
      name: "grantvault_audit_append_duration_seconds",
      help: "Audit appends, from the call to the committed row.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    const observed = () => this.#observed;
    new Gauge({
      name: "grantvault_held_long_polls",
      help: "Connect-session long-polls held open now.",
      registers,
      collect() {
        this.set(observed()?.heldPolls() ?? 0);
      },
    });
    new Gauge({
      name: "grantvault_db_pool_connections",
      help: "PostgreSQL pool connections by state (total, idle, waiting: queries queued for one). Absent with SQLite.",
      labelNames: ["state"],
      registers,
      collect() {
        const use = observed()?.poolUse();
        if (!use) return;
        this.set({ state: "total" }, use.total);
        this.set({ state: "idle" }, use.idle);
        this.set({ state: "waiting" }, use.waiting);
      },
    });
    // Pre-create the label sets operators alert on, so that a rate over zero events reads 0, not "no data".
    for (const mode of ["retrieve", "proxy"] as const) {
      for (const outcome of ["ok", "refused", "error"] as const) this.#grantUse.zero({ mode, outcome });
    }
    for (const outcome of ["completed", "denied", "failed"] as const) this.#sessions.inc({ outcome }, 0);
    this.#refreshes.inc({ outcome: "ok" }, 0);
  }

  /** Connects the gauges to what they read; the app calls it once its parts exist. */
  observe(state: ObservedState): void {
    this.#observed = state;
  }

  grantUse(mode: AccessMode, outcome: GrantUseOutcome, seconds: number): void {
    this.#grantUse.observe({ mode, outcome }, seconds);
  }

  refresh(outcome: RefreshOutcome): void {
    this.#refreshes.inc({ outcome });
  }

  sessionEnded(outcome: SessionEndOutcome): void {
    this.#sessions.inc({ outcome });
  }

  auditAppend(seconds: number): void {
    this.#auditAppend.observe(seconds);
  }

  /** The exposition text and its content type, for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
