import { createHash } from "node:crypto";
import type { Compilable, CompiledQuery, Kysely, QueryResult } from "kysely";
import type { Database } from "./schema.js";

/**
 * The SQL texts of every PreparedQuery compiled so far, with a statement name for each. On
 * PostgreSQL they run as named prepared statements (database.ts): parsed and planned once per
 * connection — for a join, that saves more than the round trip itself takes. A few dozen at most:
 * one per query shape.
 */
const statementNames = new Map<string, string>();

/** The statement name for `sql` when it is a prepared query's, else undefined. */
export function preparedStatementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

/** Stands for a value given at run time; Kysely compiles it into a parameter like any other. */
class Slot {
  constructor(readonly name: string) {}
}

/** Hands out slots typed as the values they stand for, so the query builder type-checks as usual. */
export type Slots<Args> = <K extends keyof Args & string>(name: K) => Args[K];

/**
 * A query built and compiled once, then run with fresh values. Building and compiling a Kysely
 * query costs more than SQLite takes to run it (about 50 µs a query here), and the hot paths —
 * every credential and every proxied call — run the same few shapes over and over.
 *
 * The builder receives `slot(name)` in place of each run-time value; the compiled SQL keeps a
 * parameter where each slot went, and a run puts `args[name]` there. Values written into the
 * builder as they are stay constants. A slot must be used where Kysely makes a parameter of a
 * value (comparisons, inserted values, limits), not in computations: `slot("at") - 1` is not a
 * value Kysely sees. Select columns by name, not `*`: on PostgreSQL the statement stays prepared
 * on its connection, and a `*` whose columns changed (a migration by another server) would fail.
 */
export class PreparedQuery<Args extends Record<string, unknown>, Row> {
  #compiled: CompiledQuery<Row> | null = null;
  /** Per parameter position: the slot's name, or the constant itself. */
  #bindings: ({ slot: string } | { constant: unknown })[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly build: (slot: Slots<Args>) => Compilable<Row>,
  ) {}

  execute(args: Args): Promise<QueryResult<Row>> {
    const compiled = this.#compiled ?? this.#compile();
    const parameters = this.#bindings.map((binding) =>
      "slot" in binding ? args[binding.slot] : binding.constant,
    );
    return this.db.executeQuery({ ...compiled, parameters });
  }

  async first(args: Args): Promise<Row | undefined> {
    return (await this.execute(args)).rows[0];
  }

  #compile(): CompiledQuery<Row> {
    const slot = ((name: string) => new Slot(name)) as unknown as Slots<Args>;
    const compiled = this.build(slot).compile();
    this.#bindings = compiled.parameters.map((value) =>
      value instanceof Slot ? { slot: value.name } : { constant: value },
    );
    if (!statementNames.has(compiled.sql)) {
      statementNames.set(
        compiled.sql,
        `gv_${createHash("sha256").update(compiled.sql).digest("hex").slice(0, 24)}`,
      );
    }
    this.#compiled = compiled;
    return compiled;
  }
}
