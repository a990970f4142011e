/**
 * The command-line conventions both CLIs share (`grantvault` and `grantvault-server`): commands of
 * one or two words, `--name VALUE` / `--name=VALUE` options, booleans as flags (`--demo`,
 * `--no-demo`, `--demo=false`), per-command help, and usage errors in our own words with a
 * "did you mean". Not part of the wire contract: it lives here, as the subpath
 * `@grantvault/protocol/cli-args`, because it is the one package both CLIs already depend on.
 */

export interface OptionSpec {
  type: "string" | "boolean";
  /** Repeatable: the values are collected in order. */
  multiple?: true;
  /** One letter, e.g. `h` for `-h`. */
  short?: string;
  /** The value's name in help (`--provider ID`); `VALUE` when omitted. */
  value?: string;
  description: string;
  /** Shown in help instead of `--name`, e.g. `--no-browser` for an option that is on by default. */
  label?: string;
  /** Accepted, but listed elsewhere (see `CommandSpec.footer`). */
  hidden?: true;
}

export interface OperandSpec {
  name: string;
  /** Where to find one, e.g. "see `grantvault grants list`". */
  hint?: string;
}

export interface CommandSpec {
  /** One or two words: `connect`, `grants show`. */
  name: string;
  summary: string;
  operands?: readonly OperandSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** More lines for this command's help. */
  footer?: string;
}

export interface CliSpec {
  program: string;
  commands: readonly CommandSpec[];
  /** Options every command takes (`--json`, `--help`, `--version`…). */
  common: Readonly<Record<string, OptionSpec>>;
  /** The command run when none is named (`serve`). */
  defaultCommand?: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export type ParsedCommandLine =
  | { kind: "run"; command: CommandSpec; operands: string[]; values: OptionValues; json: boolean }
  /** `--help`, `-h` or `help …`; `topic` is a command or a group's first word, or null for all. */
  | { kind: "help"; topic: CommandSpec | string | null; json: boolean }
  | { kind: "version"; json: boolean }
  /** No command and no default one. */
  | { kind: "none"; json: boolean };

/** The command line is wrong; `helpCommand` is what to run for the usage that applies. */
export class CommandLineError extends Error {
  constructor(
    message: string,
    readonly helpCommand: string,
  ) {
    super(message);
    this.name = "CommandLineError";
  }
}

const TRUE_WORDS = new Set(["true", "1"]);
const FALSE_WORDS = new Set(["false", "0"]);
/** Words that, after a flag, show the user meant it to take a value (`--demo false`). */
const BOOLEAN_WORDS = new Set(["true", "false", "1", "0", "yes", "no", "on", "off"]);

interface Positional {
  value: string;
  /** The boolean option right before it, if any (`--demo false` → `demo`). */
  afterFlag: string | undefined;
}

interface Tokens {
  positionals: Positional[];
  /** Option names as given (without dashes) with their values, in order. */
  given: { name: string; shown: string; value: string | boolean }[];
  unknown: string[];
  /** The first malformed option (`--url` without a value, `--demo=maybe`). */
  problem: string | null;
}

/**
 * Reads `argv` against `spec`. Resolves what to do, or throws CommandLineError saying what is
 * wrong in the user's terms. `--help` and `--version` win over any problem but an unknown command.
 */
export function parseCommandLine(spec: CliSpec, argv: readonly string[]): ParsedCommandLine {
  const every = allOptions(spec);
  const tokens = tokenize(argv, every);
  const json = wantsJson(argv);
  const words = tokens.positionals.map((positional) => positional.value);
  const asked = (name: string) => tokens.given.some((given) => given.name === name && given.value === true);

  if (words[0] === "help" && !spec.commands.some((command) => command.name === "help")) {
    return { kind: "help", topic: words.length > 1 ? resolveTopic(spec, words.slice(1)) : null, json };
  }
  if (words.length === 0 && asked("version")) return { kind: "version", json };
  if (words.length === 0 && asked("help")) return { kind: "help", topic: null, json };
  if (words.length === 0 && spec.defaultCommand === undefined) {
    if (tokens.problem !== null) throw new CommandLineError(tokens.problem, spec.program);
    if (tokens.unknown[0] !== undefined) {
      throw new CommandLineError(unknownOption(tokens.unknown[0], Object.keys(spec.common)), spec.program);
    }
    return { kind: "none", json };
  }

  if (words.length > 0 && asked("help")) return { kind: "help", topic: resolveTopic(spec, words), json };
  const command =
    words.length === 0
      ? commandNamed(spec, spec.defaultCommand ?? "")
      : resolveCommand(spec, tokens.positionals);
  const helpCommand = `${spec.program} ${command.name} --help`;
  if (asked("help")) return { kind: "help", topic: command, json };
  if (asked("version")) return { kind: "version", json };
  if (tokens.problem !== null) throw new CommandLineError(tokens.problem, helpCommand);

  const allowed = { ...spec.common, ...command.options };
  if (tokens.unknown[0] !== undefined) {
    throw new CommandLineError(unknownOption(tokens.unknown[0], Object.keys(allowed)), helpCommand);
  }
  const values: OptionValues = {};
  for (const { name, shown, value } of tokens.given) {
    const option = allowed[name];
    if (option === undefined) {
      throw new CommandLineError(`${command.name} has no option ${shown}`, helpCommand);
    }
    if (option.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), String(value)];
    else values[name] = value;
  }

  const wordCount = words.length === 0 ? 0 : command.name.split(" ").length;
  const operands = tokens.positionals.slice(wordCount);
  const expected = command.operands ?? [];
  const stray = operands[expected.length];
  if (stray !== undefined) {
    throw new CommandLineError(strayArgument(stray, command, expected), helpCommand);
  }
  const missing = expected.slice(operands.length);
  if (missing[0] !== undefined) {
    const hint = missing[0].hint ? ` (${missing[0].hint})` : "";
    throw new CommandLineError(
      `${command.name} needs ${missing.map((operand) => operand.name).join(" ")}${hint}`,
      helpCommand,
    );
  }
  return {
    kind: "run",
    command,
    operands: operands.map((operand) => operand.value),
    values,
    json: values.json === true,
  };
}

/**
 * Whether the output should be JSON, read from the raw words so that a command line too broken to
 * parse still gets its error as JSON: the last `--json`, `--json=…` or `--no-json` wins.
 */
export function wantsJson(argv: readonly string[]): boolean {
  let json = false;
  for (const arg of argv) {
    if (arg === "--") break;
    if (arg === "--json") json = true;
    else if (arg === "--no-json") json = false;
    else if (arg.startsWith("--json=")) json = TRUE_WORDS.has(arg.slice("--json=".length));
  }
  return json;
}

/** The help of one command: its usage line, summary and options. */
export function commandHelp(spec: CliSpec, command: CommandSpec): string {
  const operands = (command.operands ?? []).map((operand) => ` ${operand.name}`).join("");
  const own = visibleOptions(command.options ?? {});
  const lines = [`Usage: ${spec.program} ${command.name}${operands} [options]`, "", command.summary];
  if (own.length > 0) lines.push("", "Options:", ...optionLines(own));
  lines.push("", "Options for every command:", ...optionLines(visibleOptions(spec.common)));
  if (command.footer) lines.push("", command.footer);
  return `${lines.join("\n")}\n`;
}

/** The help of a group (`grants`, `keys`): its commands, one line each. */
export function groupHelp(spec: CliSpec, group: string): string {
  const commands = spec.commands.filter((command) => command.name.split(" ")[0] === group);
  const usages = commands.map((command) => [
    `${command.name}${(command.operands ?? []).map((operand) => ` ${operand.name}`).join("")}`,
    command.summary,
  ]);
  const width = Math.max(...usages.map(([usage = ""]) => usage.length)) + 2;
  return [
    `Usage: ${spec.program} ${group} <command> [options]`,
    "",
    "Commands:",
    ...usages.map(([usage = "", summary]) => `  ${usage.padEnd(width)}${summary}`),
    "",
    `Run \`${spec.program} ${group} <command> --help\` for a command's options.`,
    "",
  ].join("\n");
}

/** Help lines for options, `  --name VALUE   description`, aligned. */
export function optionLines(options: readonly [string, OptionSpec][]): string[] {
  const labels = options.map(([name, option]) => optionLabel(name, option));
  const width = Math.max(24, ...labels.map((label) => label.length + 2));
  return options.map(([, option], index) => `  ${(labels[index] ?? "").padEnd(width)}${option.description}`);
}

/**
 * The candidate closest to `input`: within 2 edits (1 for words of up to 4 letters; a swap of two
 * neighbours is one edit) or starting with it. Undefined when none is close enough.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const limit = input.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    // A prefix of at least two letters is as good as one edit (`--prov` → `--provider`).
    const score = input.length >= 2 && candidate.startsWith(input) ? Math.min(distance, 1) : distance;
    if (score <= limit && score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      (rows[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}

/** A usage error as the CLI prints it on stderr: a JSON envelope, or the message and where help is. */
export function usageErrorText(program: string, error: CommandLineError | Error, json: boolean): string {
  if (json) return `${JSON.stringify({ error: { code: "usage", message: error.message } })}\n`;
  const help = error instanceof CommandLineError ? error.helpCommand : `${program} --help`;
  return `${program}: ${error.message}\nRun \`${help}\` for usage.\n`;
}

function visibleOptions(options: Readonly<Record<string, OptionSpec>>): [string, OptionSpec][] {
  return Object.entries(options).filter(([, option]) => !option.hidden);
}

function optionLabel(name: string, option: OptionSpec): string {
  const long = option.label ?? `--${name}${option.type === "string" ? ` ${option.value ?? "VALUE"}` : ""}`;
  return option.short ? `-${option.short}, ${long}` : long;
}

function allOptions(spec: CliSpec): Record<string, OptionSpec> {
  const every: Record<string, OptionSpec> = {};
  for (const command of spec.commands) Object.assign(every, command.options);
  return Object.assign(every, spec.common);
}

function tokenize(argv: readonly string[], options: Record<string, OptionSpec>): Tokens {
  const tokens: Tokens = { positionals: [], given: [], unknown: [], problem: null };
  const fail = (problem: string) => {
    tokens.problem ??= problem;
  };
  let lastFlag: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const flag = lastFlag;
    lastFlag = undefined;
    if (arg === "--") {
      for (const rest of argv.slice(index + 1))
        tokens.positionals.push({ value: rest, afterFlag: undefined });
      break;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const equals = arg.indexOf("=");
      const written = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
      const inline = equals === -1 ? undefined : arg.slice(equals + 1);
      const negated =
        !Object.hasOwn(options, written) &&
        written.startsWith("no-") &&
        options[written.slice(3)]?.type === "boolean";
      const name = negated ? written.slice(3) : written;
      const option = Object.hasOwn(options, name) ? options[name] : undefined;
      if (option === undefined) {
        tokens.unknown.push(`--${written}`);
        continue;
      }
      if (option.type === "boolean") {
        if (negated && inline !== undefined) fail(`--${written} takes no value`);
        else if (inline !== undefined && !TRUE_WORDS.has(inline) && !FALSE_WORDS.has(inline)) {
          fail(`--${name}=${inline}: write --${name}=true or --${name}=false`);
        }
        tokens.given.push({
          name,
          shown: `--${written}`,
          value: negated ? false : inline === undefined || TRUE_WORDS.has(inline),
        });
        lastFlag = name;
        continue;
      }
      const value = inline ?? argv[index + 1];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) {
        fail(`--${name} needs a value (--${name} ${option.value ?? "VALUE"})`);
        continue;
      }
      if (inline === undefined) index++;
      tokens.given.push({ name, shown: `--${name}`, value });
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      const letter = arg.slice(1, 2);
      const entry = Object.entries(options).find(([, option]) => option.short === letter);
      if (entry === undefined) {
        tokens.unknown.push(arg);
        continue;
      }
      const [name, option] = entry;
      if (option.type === "boolean") {
        if (arg.length > 2) tokens.unknown.push(arg);
        else {
          tokens.given.push({ name, shown: arg, value: true });
          lastFlag = name;
        }
        continue;
      }
      const value = arg.length > 2 ? arg.slice(2) : argv[index + 1];
      if (value === undefined) {
        fail(`${arg} needs a value (${arg} ${option.value ?? "VALUE"})`);
        continue;
      }
      if (arg.length === 2) index++;
      tokens.given.push({ name, shown: `-${letter}`, value });
      continue;
    }
    tokens.positionals.push({ value: arg, afterFlag: flag });
  }
  return tokens;
}

function commandNamed(spec: CliSpec, name: string): CommandSpec {
  const command = spec.commands.find((candidate) => candidate.name === name);
  if (!command) throw new Error(`${spec.program}: no command ${name}`);
  return command;
}

/** The command the leading words name; the longest match wins. */
function resolveCommand(spec: CliSpec, positionals: readonly Positional[]): CommandSpec {
  const [first, second] = positionals;
  if (first === undefined) throw new Error("resolveCommand needs a word");
  const two = second === undefined ? undefined : `${first.value} ${second.value}`;
  const command =
    spec.commands.find((candidate) => candidate.name === two) ??
    spec.commands.find((candidate) => candidate.name === first.value);
  if (command) return command;
  const topic = resolveTopic(
    spec,
    positionals.map((positional) => positional.value),
    first.afterFlag,
  );
  // A group named without its subcommand (`grants`).
  throw new CommandLineError(
    `${topic} needs a subcommand: ${subcommands(spec, topic as string).join(", ")}`,
    `${spec.program} ${topic} --help`,
  );
}

/** A command, or a group's first word, named by `words`; throws with "did you mean" otherwise. */
function resolveTopic(spec: CliSpec, words: readonly string[], afterFlag?: string): CommandSpec | string {
  const [first = "", second] = words;
  const exact =
    spec.commands.find((command) => command.name === `${first} ${second}`) ??
    spec.commands.find((command) => command.name === first);
  if (exact) return exact;
  const subs = subcommands(spec, first);
  if (subs.length > 0) {
    if (second === undefined) return first;
    const guess = closest(second, subs);
    throw new CommandLineError(
      `unknown ${first} subcommand ${JSON.stringify(second)}${guess ? `. Did you mean "${first} ${guess}"?` : ` (${subs.join(", ")})`}`,
      `${spec.program} ${first} --help`,
    );
  }
  if (afterFlag !== undefined && BOOLEAN_WORDS.has(first.toLowerCase())) {
    throw new CommandLineError(flagValueMistake(first, afterFlag), spec.program);
  }
  const names = [...new Set(spec.commands.map((command) => command.name.split(" ")[0] as string))];
  const guess = closest(first, names);
  throw new CommandLineError(
    `unknown command ${JSON.stringify(first)}${guess ? `. Did you mean "${guess}"?` : ""}`,
    `${spec.program} --help`,
  );
}

function subcommands(spec: CliSpec, group: string): string[] {
  return spec.commands
    .map((command) => command.name.split(" "))
    .filter((words) => words.length === 2 && words[0] === group)
    .map((words) => words[1] as string);
}

function unknownOption(shown: string, names: readonly string[]): string {
  const written = shown.replace(/^--?/, "").split("=")[0] ?? "";
  if (shown.startsWith("--no-") && names.includes(written.slice(3))) {
    return `unknown option --${written}: --${written.slice(3)} takes a value; it is not a flag`;
  }
  const guess = shown.startsWith("--") ? closest(written, names) : undefined;
  return `unknown option ${shown.split("=")[0]}${guess ? `. Did you mean --${guess}?` : ""}`;
}

function strayArgument(stray: Positional, command: CommandSpec, expected: readonly OperandSpec[]): string {
  if (stray.afterFlag !== undefined && BOOLEAN_WORDS.has(stray.value.toLowerCase())) {
    return flagValueMistake(stray.value, stray.afterFlag);
  }
  const takes =
    expected.length === 0
      ? "takes no arguments"
      : `takes ${expected.map((operand) => operand.name).join(" ")} only`;
  return `unexpected argument ${JSON.stringify(stray.value)}: ${command.name} ${takes}`;
}

function flagValueMistake(word: string, flag: string): string {
  return `unexpected argument ${JSON.stringify(word)}: --${flag} is a flag and takes no separate value (write --${flag}, --no-${flag} or --${flag}=${FALSE_WORDS.has(word.toLowerCase()) || ["no", "off"].includes(word.toLowerCase()) ? "false" : "true"})`;
}
